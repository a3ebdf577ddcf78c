/* A finished job's summary for people. See summary_view.h. */
#define _GNU_SOURCE
#include "summary_view.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "names.h"
#include "printable.h"

/* Larger files are not a summary a job wrote. */
#define SUMMARY_MAX_BYTES (16u << 20)

/* The members printed first, in this order, when the summary has them. */
static const char *const first_members[] = {
    "job", "outcome", "why", "app", "directory", "seconds",
};
#define NFIRST (sizeof(first_members) / sizeof(first_members[0]))

static void print_value(FILE *out, const char *name, struct json_object *v,
                        int indent, int width);

/* ---------------------------------------------------------------- reading */

/* Reads path whole into a NUL-terminated buffer (malloc()ed). Returns NULL
 * with err filled. */
static char *
read_whole(const char *path, char err[MR_ERR_LEN])
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;

    if (f == NULL) {
        snprintf(err, MR_ERR_LEN, "cannot read %s: %s", path,
                 strerror(errno));
        return NULL;
    }
    text = malloc(SUMMARY_MAX_BYTES + 1);
    if (text == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
    } else {
        len = fread(text, 1, SUMMARY_MAX_BYTES + 1, f);
        if (ferror(f)) {
            snprintf(err, MR_ERR_LEN, "cannot read %s: %s", path,
                     strerror(errno));
        } else if (len > SUMMARY_MAX_BYTES) {
            snprintf(err, MR_ERR_LEN, "%s is over %u MiB: not a job "
                     "summary", path, SUMMARY_MAX_BYTES >> 20);
        } else {
            text[len] = '\0';
            fclose(f);
            return text;
        }
    }
    free(text);
    fclose(f);
    return NULL;
}

/* Parses path as one JSON object and nothing after it. Returns it (put it
 * with json_object_put()), or NULL with err filled. */
static struct json_object *
parse_summary(const char *path, char err[MR_ERR_LEN])
{
    char *text = read_whole(path, err);
    struct json_tokener *tok;
    struct json_object *doc = NULL;
    enum json_tokener_error jerr;
    size_t end, len;

    if (text == NULL)
        return NULL;
    len = strlen(text);
    if ((tok = json_tokener_new()) == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        free(text);
        return NULL;
    }
    doc = json_tokener_parse_ex(tok, text, (int)len + 1);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (doc == NULL || jerr != json_tokener_success) {
        snprintf(err, MR_ERR_LEN, "%s is not a JSON job summary: %s (byte "
                 "%zu); it was not written whole, or by something else",
                 path, json_tokener_error_desc(jerr), end);
    } else if (!json_object_is_type(doc, json_type_object)) {
        snprintf(err, MR_ERR_LEN, "%s is not a JSON job summary: it holds "
                 "a JSON %s, not an object", path,
                 json_type_to_name(json_object_get_type(doc)));
    } else if (end < len && text[end + strspn(text + end, " \t\r\n")] !=
                                '\0') {
        snprintf(err, MR_ERR_LEN, "%s is not a JSON job summary: something "
                 "follows the document (byte %zu)", path, end);
    } else {
        json_tokener_free(tok);
        free(text);
        return doc;
    }
    json_object_put(doc);
    json_tokener_free(tok);
    free(text);
    return NULL;
}

/* ---------------------------------------------------------------- values */

/* text with control characters (and DEL) as '?': a summary holds what
 * workers said (reasons, their stderr), which must not drive the
 * terminal. */
static void
print_printable(FILE *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fputc(printable_byte((unsigned char)text[i]) ? text[i] : '?', out);
}

static bool
is_scalar(struct json_object *v)
{
    return !json_object_is_type(v, json_type_object) &&
           !json_object_is_type(v, json_type_array);
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool
is_multiline(struct json_object *v)
{
    return json_object_is_type(v, json_type_string) &&
           strchr(json_object_get_string(v), '\n') != NULL;
}

/* " (12.3 MB)" for a size of 10 KB or more. */
static void
print_size(FILE *out, int64_t n)
{
    static const char *const units[] = {"KB", "MB", "GB", "TB", "PB"};
    double v = (double)n / 1000.0;
    int u = 0;

    if (n < 10000)
        return;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    fprintf(out, " (%.1f %s)", v, units[u]);
}

/* A scalar on the rest of its line; a string of several lines goes on
 * lines of its own, indented past the name. */
static void
print_scalar(FILE *out, const char *name, struct json_object *v, int indent)
{
    const char *s, *nl;
    size_t len;

    if (json_object_is_type(v, json_type_null)) {
        fputs("-\n", out);
        return;
    }
    if (!json_object_is_type(v, json_type_string)) {
        fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
              out);
        /* Sizes in bytes, also as people read them. */
        if (json_object_is_type(v, json_type_int) &&
            (ends_with(name, "_bytes") || strcmp(name, "bytes") == 0))
            print_size(out, json_object_get_int64(v));
        fputc('\n', out);
        return;
    }
    s = json_object_get_string(v);
    len = (size_t)json_object_get_string_len(v);
    if ((nl = memchr(s, '\n', len)) == NULL) {
        print_printable(out, s, len);
        fputc('\n', out);
        return;
    }
    fputc('\n', out);
    while (len > 0) {
        size_t n = nl ? (size_t)(nl - s) : len;
        fprintf(out, "%*s| ", indent + 4, "");
        print_printable(out, s, n);
        fputc('\n', out);
        n += nl ? 1 : 0;
        s += n;
        len -= n;
        nl = memchr(s, '\n', len);
    }
}

/* Widest member name of obj, for alignment. */
static int
name_width(struct json_object *obj)
{
    struct json_object_iterator it = json_object_iter_begin(obj);
    struct json_object_iterator end = json_object_iter_end(obj);
    int width = 0;

    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        int n = (int)strlen(json_object_iter_peek_name(&it));
        if (n > width)
            width = n;
    }
    return width;
}

/* Every member of obj at indent; first_lead, if not NULL, is printed in
 * place of the first line's indent (a block's number). At the top, the
 * known members first. */
static void
print_object(FILE *out, struct json_object *obj, int indent,
             const char *first_lead, bool top)
{
    struct json_object_iterator it = json_object_iter_begin(obj);
    struct json_object_iterator end = json_object_iter_end(obj);
    int width = name_width(obj);
    bool first = true;

    for (size_t i = 0; top && i < NFIRST; i++) {
        struct json_object *v;
        if (!json_object_object_get_ex(obj, first_members[i], &v))
            continue;
        fprintf(out, "%*s", indent, "");
        print_value(out, first_members[i], v, indent, width);
    }
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *name = json_object_iter_peek_name(&it);
        bool known = false;

        for (size_t i = 0; top && i < NFIRST; i++)
            known = known || strcmp(name, first_members[i]) == 0;
        if (known)
            continue;
        if (first && first_lead != NULL)
            fputs(first_lead, out);
        else
            fprintf(out, "%*s", indent, "");
        first = false;
        print_value(out, name, json_object_iter_peek_value(&it), indent,
                    width);
    }
}

/* The items of an array under its name: scalars one a line, objects as
 * numbered blocks, arrays as numbered lists. */
static void
print_items(FILE *out, struct json_object *arr, int indent)
{
    size_t n = json_object_array_length(arr);

    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(arr, i);
        char lead[32];
        int w;

        if (v != NULL && is_scalar(v)) {
            fprintf(out, "%*s", indent, "");
            print_scalar(out, "", v, indent);
            continue;
        }
        w = snprintf(lead, sizeof(lead), "%*s%zu. ", indent, "", i + 1);
        if (json_object_is_type(v, json_type_object) &&
            json_object_object_length(v) > 0) {
            print_object(out, v, w, lead, false);
        } else if (json_object_is_type(v, json_type_array) &&
                   json_object_array_length(v) > 0) {
            fprintf(out, "%.*s\n", w - 1, lead);
            print_items(out, v, w);
        } else {
            fprintf(out, "%s-\n", lead);
        }
    }
}

/* "name: value", the name padded to width; what is nested follows on
 * lines of its own, two columns in. The line's indent is printed. */
static void
print_value(FILE *out, const char *name, struct json_object *v, int indent,
            int width)
{
    fputs(name, out);
    fputc(':', out);
    if (json_object_is_type(v, json_type_object)) {
        if (json_object_object_length(v) == 0) {
            fprintf(out, "%*s none\n", width - (int)strlen(name), "");
            return;
        }
        fputc('\n', out);
        print_object(out, v, indent + 2, NULL, false);
    } else if (json_object_is_type(v, json_type_array)) {
        if (json_object_array_length(v) == 0) {
            fprintf(out, "%*s none\n", width - (int)strlen(name), "");
            return;
        }
        fputc('\n', out);
        print_items(out, v, indent + 2);
    } else if (is_multiline(v)) {
        print_scalar(out, name, v, indent);
    } else {
        fprintf(out, "%*s ", width - (int)strlen(name), "");
        print_scalar(out, name, v, indent);
    }
}

/* ---------------------------------------------------------------- files */

/* The job id a summary names, for the line about the other file; "" when
 * it cannot be read. */
static void
job_of(const char *path, char *buf, size_t len)
{
    char err[MR_ERR_LEN];
    struct json_object *doc = parse_summary(path, err), *job;

    buf[0] = '\0';
    if (doc != NULL && json_object_object_get_ex(doc, "job", &job) &&
        json_object_is_type(job, json_type_string))
        snprintf(buf, len, "%s", json_object_get_string(job));
    json_object_put(doc);
}

static bool
newer(const struct stat *a, const struct stat *b)
{
    return a->st_mtim.tv_sec != b->st_mtim.tv_sec
               ? a->st_mtim.tv_sec > b->st_mtim.tv_sec
               : a->st_mtim.tv_nsec > b->st_mtim.tv_nsec;
}

int
summary_view_print(FILE *out, const char *dir, char err[MR_ERR_LEN])
{
    char ok_path[4096], failed_path[4096], other_job[64];
    const char *path, *other = NULL;
    struct stat st, ok_st, failed_st;
    struct json_object *doc;
    bool has_ok, has_failed;

    errno = 0;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, MR_ERR_LEN, "%s: %s; --summary takes the directory "
                 "of a job that ended", dir,
                 errno != 0 ? strerror(errno) : "not a directory");
        return -1;
    }
    snprintf(ok_path, sizeof(ok_path), "%s/%s", dir, MR_MARKER_NAME);
    snprintf(failed_path, sizeof(failed_path), "%s/%s", dir,
             SUMMARY_FAILED_NAME);
    has_ok = stat(ok_path, &ok_st) == 0;
    has_failed = stat(failed_path, &failed_st) == 0;
    if (!has_ok && !has_failed) {
        snprintf(err, MR_ERR_LEN, "no job summary in %s: neither "
                 MR_MARKER_NAME " nor " SUMMARY_FAILED_NAME " is there "
                 "(a job writes one when it ends)", dir);
        return -1;
    }
    path = has_ok ? ok_path : failed_path;
    if (has_ok && has_failed) {
        bool failed_newer = newer(&failed_st, &ok_st);
        path = failed_newer ? failed_path : ok_path;
        other = failed_newer ? ok_path : failed_path;
    }
    if ((doc = parse_summary(path, err)) == NULL)
        return -1;
    fprintf(out, "%s\n", path);
    if (other != NULL) {
        job_of(other, other_job, sizeof(other_job));
        fprintf(out, "  (%s is here too, older%s", other,
                other_job[0] ? ": job " : "");
        print_printable(out, other_job, strlen(other_job));
        fputs(")\n", out);
    }
    print_object(out, doc, 2, NULL, true);
    json_object_put(doc);
    return 0;
}
