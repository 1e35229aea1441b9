/* table.h — aligned text tables for vigilctl's output. */
#ifndef VIGIL_CTL_TABLE_H
#define VIGIL_CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

/* table_new: a table with ncols columns titled by headers (copied); NULL on failure. */
struct table *table_new(size_t ncols, const char *const *headers);
void table_free(struct table *t);

/*
 * table_add: a row of ncols cells (NULL prints as "-"); the cells are copied
 * with control characters replaced by '?' (names come from agents).  0 / -1.
 */
int table_add(struct table *t, const char *const *cells);
size_t table_rows(const struct table *t);

/*
 * table_print: header and rows, each column as wide as its widest cell
 * (counted in UTF-8 characters), two spaces apart, no trailing blanks.
 */
void table_print(const struct table *t, FILE *f);

/* table_width: the number of UTF-8 characters in s (continuation bytes do not count). */
size_t table_width(const char *s);

#endif
