/* Test helper for the CLI tests: opens a strata database read-write (every process may: the write
 * lock is taken per commit), creates READY_FILE to say so, and keeps it until READY_FILE is
 * removed or 60 seconds pass. With the mode "lock" it also holds the database's write lock the
 * whole time — what a process stuck inside a commit holds (flock on DB_DIR/LOCK,
 * docs/concurrency.md). Usage: strata_lockholder DB_DIR READY_FILE [open|lock] */
#include "strata.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: strata_lockholder DB_DIR READY_FILE [open|lock]\n");
        return 2;
    }
    int lock = argc == 4 && strcmp(argv[3], "lock") == 0;
    strata_db *db = NULL;
    int rc = strata_db_open(&db, argv[1], NULL);
    if (rc < 0) {
        fprintf(stderr, "strata_lockholder: %s\n", strata_error_last()->message);
        return 4;
    }
    int fd = -1;
    if (lock) {
        char p[4096];
        snprintf(p, sizeof p, "%s/LOCK", argv[1]);
        fd = open(p, O_RDWR | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) != 0) {
            perror(p);
            strata_db_close(db);
            return 4;
        }
    }
    FILE *f = fopen(argv[2], "w");
    if (!f) {
        perror(argv[2]);
        strata_db_close(db);
        return 4;
    }
    fclose(f);
    for (int i = 0; i < 600 && access(argv[2], F_OK) == 0; i++) usleep(100 * 1000);
    if (fd >= 0) close(fd); /* releases the write lock */
    strata_db_close(db);
    return 0;
}
