/* The status page's HTML (coordinator/status_page.html, inline CSS and
 * script, nothing fetched from elsewhere), embedded at build time: the
 * Makefile writes its bytes into build/coordinator/status_page_html.c. */
#ifndef COORD_STATUS_PAGE_H
#define COORD_STATUS_PAGE_H

#include <stddef.h>

extern const unsigned char status_page_html[];
extern const size_t status_page_html_len;     /* bytes, no NUL counted */

#endif
