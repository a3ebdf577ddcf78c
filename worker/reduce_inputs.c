/* A reduce task's inputs, read in place or fetched. See reduce_inputs.h. */
#include "reduce_inputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A partition of up to READ_MAX bytes is read into memory, as long as a
 * reduce holds at most READ_BUDGET bytes so read; the others are mapped
 * (their pages stay the kernel's, however large the input). */
#define READ_MAX    (256u << 10)
#define READ_BUDGET (32u << 20)

/* Whether this worker sees the output's file: it exists here with the
 * size its map reported (a file of the same name on another host's disk
 * is not it). A file of the name but another size that nobody serves is
 * one this worker should see: bad data, said in err. */
static bool
seen_here(const struct reduce_input *in, int *rc, char err[MR_ERR_LEN])
{
    struct stat st;

    /* Nothing to tell it from a namesake and nobody else to ask (the
     * lab's way): the open says whether it is there, with no stat more. */
    if (in->path[0] != '\0' && in->size == 0 && in->addr[0] == '\0')
        return true;
    if (in->path[0] == '\0' || stat(in->path, &st) < 0 ||
        !S_ISREG(st.st_mode))
        return false;
    if (in->size == 0 || (uint64_t)st.st_size == in->size)
        return true;
    if (in->addr[0] == '\0') {
        snprintf(err, MR_ERR_LEN, "%s has %llu bytes; its map wrote %llu "
                 "(corrupt intermediate data)", in->path,
                 (unsigned long long)st.st_size,
                 (unsigned long long)in->size);
        *rc = MR_EBADDATA;
    }
    return false;
}

/* Whether this worker sees the output's file, asking its cache of open
 * files first: one kept open with the size the map reported is it (a file
 * of the name that changed size since is caught by its reads); *kept is
 * set to it, or NULL. */
static bool
seen_here_kept(struct reduce_inputs *ri, const struct reduce_input *in,
               struct im_file **kept, int *rc, char err[MR_ERR_LEN])
{
    struct im_file *f;
    bool here;

    *kept = NULL;
    if (in->path[0] == '\0')
        return false;
    f = im_cache_find(ri->files, in->path);
    if (f != NULL && f->fd < 0 && in->addr[0] != '\0')
        return false;           /* not here when last looked: fetched */
    if (f != NULL && f->fd >= 0 && (in->size == 0 || f->size == in->size)) {
        *kept = f;
        return true;
    }
    if (f != NULL)
        im_cache_drop(ri->files, in->path);
    here = seen_here(in, rc, err);
    /* A file that is not here stays so (its name is its map attempt's);
     * and should it appear, fetching it is as good. */
    if (!here && *rc == 0 && in->addr[0] != '\0')
        im_cache_absent(ri->files, in->path);
    return here;
}

/* Reads partition part of f, input i, which info describes, into memory
 * or maps it, and points cur at it. */
static int
load_partition(struct reduce_inputs *ri, uint32_t i, const struct im_file *f,
               uint32_t part, const struct im_partition *info,
               struct im_cursor *cur, char err[MR_ERR_LEN])
{
    const char *path = ri->in[i].path;
    const unsigned char *data;
    void *buf;
    int rc;

    if (info->length == 0) {
        data = (const unsigned char *)"";
        rc = info->crc == 0 ? 0 : MR_EBADDATA;
    } else if (info->length <= READ_MAX &&
               ri->bytes_read + info->length <= READ_BUDGET) {
        if ((buf = arena_alloc(&ri->bytes, (size_t)info->length)) == NULL) {
            snprintf(err, MR_ERR_LEN, "out of memory");
            return -ENOMEM;
        }
        rc = im_file_read(f, path, info, buf, err);
        ri->bytes_read += info->length;
        data = buf;
    } else {
        struct reduce_held *h = &ri->held[i];
        rc = im_file_map(f, path, info, &h->map, &h->map_len, &data, err);
    }
    if (rc == MR_EBADDATA)
        snprintf(err, MR_ERR_LEN, "%s: partition %u fails its checksum or "
                 "was cut short (corrupt intermediate data)", path, part);
    if (rc == 0)
        im_cursor_start(cur, info, data);
    return rc;
}

/* Reads input i from f, the file kept open for it (NULL: open it now).
 * Returns 0, -ENOENT (the file is gone), MR_EBADDATA, or another error,
 * with err filled. */
static int
open_in_place(struct reduce_inputs *ri, uint32_t i, struct im_file *f,
              uint32_t part, uint32_t nreduce, struct merger *m,
              char err[MR_ERR_LEN])
{
    const char *path = ri->in[i].path;
    struct im_partition info;
    struct im_cursor cur;
    int rc = 0;

    if (f != NULL && f->nreduce != nreduce) {
        im_cache_drop(ri->files, path);
        f = NULL;
    }
    if (f == NULL &&
        (f = im_cache_open(ri->files, path, nreduce, &rc, err)) == NULL)
        return rc;
    if ((rc = im_file_entry(f, path, part, &info, err)) == 0)
        rc = load_partition(ri, i, f, part, &info, &cur, err);
    if (rc < 0) {
        /* Its map runs again, under another name. */
        im_cache_drop(ri->files, path);
        return rc;
    }
    ri->held[i].in_place = true;
    ri->bytes_in += info.length;
    merger_add(m, i, &cur);
    return 0;
}

int
reduce_inputs_open(struct reduce_inputs *ri, const struct reduce_input *in,
                   uint32_t n, uint32_t part, uint32_t nreduce,
                   const struct reduce_fetch_id *id,
                   struct im_cache *files, struct merger *m,
                   char err[MR_ERR_LEN])
{
    int rc = 0;

    memset(ri, 0, sizeof(*ri));
    ri->in = in;
    ri->n = n;
    ri->files = files;
    if ((ri->held = calloc(n ? n : 1, sizeof(*ri->held))) == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        struct im_file *kept;
        bool here = seen_here_kept(ri, &in[i], &kept, &rc, err);
        bool served = in[i].addr[0] != '\0';

        if (here) {
            rc = open_in_place(ri, i, kept, part, nreduce, m, err);
            /* Gone between the look and the open (its worker's directory
             * was removed): fetched, if someone serves it. */
            if (rc == -ENOENT && served) {
                here = false;
                rc = 0;
            } else if (rc == -ENOENT) {
                rc = MR_EBADDATA;
            }
        }
        if (!here && rc == 0 && served) {
            if (ri->fetch == NULL &&
                (ri->fetch = shuffle_fetch_create(id->job_id, part,
                                                  id->token,
                                                  id->token_len)) != NULL)
                shuffle_fetch_shed_from(ri->fetch, files);
            if (ri->fetch == NULL)
                rc = -ENOMEM;
            if (rc == 0)
                rc = shuffle_fetch_add(ri->fetch, i, in[i].addr, in[i].map,
                                       in[i].attempt, in[i].size);
            if (rc < 0)
                snprintf(err, MR_ERR_LEN, "out of memory");
        } else if (!here && rc == 0) {
            snprintf(err, MR_ERR_LEN, "the output of map task %u (%s) is "
                     "not on this host and no worker serves it",
                     in[i].map, in[i].path[0] ? in[i].path : "no path");
            rc = MR_EFETCH;
        }
        if (rc < 0)
            m->bad_input = i;
    }
    if (rc == 0 && ri->fetch != NULL)
        rc = shuffle_fetch_start(ri->fetch, m, err);
    return rc;
}

void
reduce_inputs_explain(const struct reduce_inputs *ri,
                      const struct merger *m, char err[MR_ERR_LEN])
{
    uint32_t i = m->bad_input;

    if (i >= ri->n)
        return;
    if (!ri->held[i].in_place && ri->fetch != NULL &&
        shuffle_fetch_error(ri->fetch)[0] != '\0')
        snprintf(err, MR_ERR_LEN, "%s", shuffle_fetch_error(ri->fetch));
    else if (!ri->held[i].in_place)     /* a record bad as it came */
        snprintf(err, MR_ERR_LEN, "map task %u's output from %s: %s",
                 ri->in[i].map, ri->in[i].addr, mr_strerror(m->error));
    else
        snprintf(err, MR_ERR_LEN, "%s: %s", ri->in[i].path,
                 mr_strerror(m->error));
}

const char *
reduce_inputs_blame(const struct reduce_inputs *ri, const struct merger *m)
{
    uint32_t i = m->bad_input;

    return i < ri->n && !ri->held[i].in_place ? ri->in[i].addr : "";
}

bool
reduce_inputs_in_place(const struct reduce_inputs *ri, uint32_t i)
{
    return i < ri->n && ri->held != NULL && ri->held[i].in_place;
}

uint64_t
reduce_inputs_bytes(const struct reduce_inputs *ri)
{
    return ri->bytes_in + (ri->fetch ? shuffle_fetch_bytes(ri->fetch) : 0);
}

void
reduce_inputs_close(struct reduce_inputs *ri)
{
    for (uint32_t i = 0; ri->held != NULL && i < ri->n; i++)
        im_file_unmap(ri->held[i].map, ri->held[i].map_len);
    free(ri->held);
    arena_reset(&ri->bytes);
    shuffle_fetch_free(ri->fetch);
    memset(ri, 0, sizeof(*ri));
}
