/* A test module that is a valid shared object but no app: it exports a
 * function under another name than mr_app_entry, as a module built with
 * the entry misspelt would. The worker must refuse it. */
#include "mrapp.h"

const struct mr_app *app_entry(void);

__attribute__((visibility("default"))) const struct mr_app *
app_entry(void)
{
    return NULL;
}
