/* A reduce task's inputs, read in place or fetched. See reduce_inputs.h. */
#include "reduce_inputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Returns 0, -ENOENT (the file is gone), MR_EBADDATA, or another error,
 * with err filled. */
static int
open_in_place(struct reduce_inputs *ri, uint32_t i, uint32_t part,
              uint32_t nreduce, struct merger *m, char err[MR_ERR_LEN])
{
    struct im_cursor cur;
    int rc = im_reader_open(&ri->readers[i], ri->in[i].path, nreduce, err);

    if (rc < 0)
        return rc;
    if (im_reader_partition(&ri->readers[i], part, &cur) < 0) {
        snprintf(err, MR_ERR_LEN, "%s: partition %u fails its checksum "
                 "(corrupt intermediate data)", ri->in[i].path, part);
        return MR_EBADDATA;
    }
    ri->bytes_in += (uint64_t)(cur.end - cur.p);
    merger_add(m, i, &cur);
    return 0;
}

int
reduce_inputs_open(struct reduce_inputs *ri, const struct reduce_input *in,
                   uint32_t n, uint32_t part, uint32_t nreduce,
                   const struct reduce_fetch_id *id, struct merger *m,
                   char err[MR_ERR_LEN])
{
    int rc = 0;

    memset(ri, 0, sizeof(*ri));
    ri->in = in;
    ri->n = n;
    if ((ri->readers = calloc(n ? n : 1, sizeof(*ri->readers))) == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        bool here = seen_here(&in[i], &rc, err);
        bool served = in[i].addr[0] != '\0';

        if (here) {
            rc = open_in_place(ri, i, part, nreduce, m, err);
            /* Gone between the look and the open (its worker's directory
             * was removed): fetched, if someone serves it. */
            if (rc == -ENOENT && served) {
                im_reader_close(&ri->readers[i]);
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
                                                  id->token_len)) == NULL)
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
    if (ri->readers[i].map == NULL && ri->fetch != NULL &&
        shuffle_fetch_error(ri->fetch)[0] != '\0')
        snprintf(err, MR_ERR_LEN, "%s", shuffle_fetch_error(ri->fetch));
    else if (ri->readers[i].map == NULL)    /* a record bad as it came */
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

    return i < ri->n && ri->readers[i].map == NULL ? ri->in[i].addr : "";
}

bool
reduce_inputs_in_place(const struct reduce_inputs *ri, uint32_t i)
{
    return i < ri->n && ri->readers != NULL && ri->readers[i].map != NULL;
}

uint64_t
reduce_inputs_bytes(const struct reduce_inputs *ri)
{
    return ri->bytes_in + (ri->fetch ? shuffle_fetch_bytes(ri->fetch) : 0);
}

void
reduce_inputs_close(struct reduce_inputs *ri)
{
    for (uint32_t i = 0; ri->readers != NULL && i < ri->n; i++)
        im_reader_close(&ri->readers[i]);
    free(ri->readers);
    shuffle_fetch_free(ri->fetch);
    memset(ri, 0, sizeof(*ri));
}
