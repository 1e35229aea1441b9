/*
 * console_assets.S — the web console's files (www/), embedded in vigild at
 * build time with .incbin: no generator and no xxd.  Paths are relative to
 * the repository's root, where make runs; the Makefile makes this object
 * depend on the files of www/.  console.c reads each file between its two symbols.
 */
#define ASSET(sym, file)                        \
	.globl sym;                             \
	.type sym, @object;                     \
	.balign 16;                             \
sym:                                            \
	.incbin file;                           \
	.globl sym##_end;                       \
	.type sym##_end, @object;               \
sym##_end:                                      \
	.byte 0

	.section .rodata
ASSET(console_index_html, "www/index.html")
ASSET(console_app_js, "www/app.js")
ASSET(console_app_css, "www/app.css")
ASSET(console_favicon_svg, "www/favicon.svg")

	.section .note.GNU-stack,"",@progbits
