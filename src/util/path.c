/* Path joining: the one place that puts a directory and a file name together. */
#include "util/path.h"

#include <stdint.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

char *strata_path__join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    size_t sep = dl > 0 && dir[dl - 1] != '/';
    if (nl > SIZE_MAX - dl - sep - 1) {
        strata_err__set(STRATA_ENOMEM, "path too long");
        return NULL;
    }
    char *p = strata_mem__alloc(dl + sep + nl + 1);
    if (!p) return NULL;
    memcpy(p, dir, dl);
    if (sep) p[dl] = '/';
    memcpy(p + dl + sep, name, nl + 1);
    return p;
}
