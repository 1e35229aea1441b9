/* table.c — aligned text tables for vigilctl's output. */
#include "ctl/table.h"

#include <stdlib.h>
#include <string.h>

struct table {
	size_t ncols;
	size_t nrows, cap;
	char **cells;               /* (nrows + 1) * ncols; row 0 is the header */
	size_t *width;
};

size_t
table_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* clean_dup: a copy of s with control characters (C0, DEL) replaced by '?'. */
static char *
clean_dup(const char *s)
{
	char *d, *p;

	if ((d = strdup(s ? s : "-")) == NULL)
		return NULL;
	for (p = d; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p == 127)
			*p = '?';
	return d;
}

static int
add_row(struct table *t, const char *const *cells)
{
	size_t i, w;

	if (t->nrows + 1 >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, ncap * t->ncols * sizeof(*c));

		if (c == NULL)
			return -1;
		t->cells = c;
		t->cap = ncap;
	}
	for (i = 0; i < t->ncols; i++) {
		char *d = clean_dup(cells[i]);

		if (d == NULL) {
			while (i-- > 0)
				free(t->cells[t->nrows * t->ncols + i]);
			return -1;
		}
		t->cells[t->nrows * t->ncols + i] = d;
		if ((w = table_width(d)) > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
	return 0;
}

struct table *
table_new(size_t ncols, const char *const *headers)
{
	struct table *t;

	if (ncols == 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ncols = ncols;
	if ((t->width = calloc(ncols, sizeof(*t->width))) == NULL || add_row(t, headers) == -1) {
		table_free(t);
		return NULL;
	}
	return t;
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

int
table_add(struct table *t, const char *const *cells)
{
	return add_row(t, cells);
}

size_t
table_rows(const struct table *t)
{
	return t->nrows - 1;
}

void
table_print(const struct table *t, FILE *f)
{
	size_t r, c;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			fputs(s, f);
			if (c + 1 < t->ncols) {
				size_t pad = t->width[c] - table_width(s) + 2;

				while (pad-- > 0)
					fputc(' ', f);
			}
		}
		fputc('\n', f);
	}
}
