/* Removing a directory with everything below it, without following
 * symbolic links out of it. */
#ifndef MR_REMOVE_TREE_H
#define MR_REMOVE_TREE_H

/* Removes name, a directory in parentfd (AT_FDCWD for the current
 * directory), and what it holds, descending at most depth levels below
 * it; a link is removed, never followed. Returns 0 (also when name does
 * not exist) or -errno of the failure to remove name itself (what could
 * not be removed below it leaves it non-empty: -ENOTEMPTY). */
int remove_tree_at(int parentfd, const char *name, int depth);

#endif
