/* Test helper for the CLI tests: opens a strata database as its writer (which takes the
 * database's lock), creates READY_FILE to say so, and keeps the lock until READY_FILE is
 * removed or 60 seconds pass. Public API only. Usage: strata_lockholder DB_DIR READY_FILE */
#include "strata.h"

#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: strata_lockholder DB_DIR READY_FILE\n");
        return 2;
    }
    strata_db *db = NULL;
    int rc = strata_db_open(&db, argv[1], NULL);
    if (rc < 0) {
        fprintf(stderr, "strata_lockholder: %s\n", strata_error_last()->message);
        return 4;
    }
    FILE *f = fopen(argv[2], "w");
    if (!f) {
        perror(argv[2]);
        strata_db_close(db);
        return 4;
    }
    fclose(f);
    for (int i = 0; i < 600 && access(argv[2], F_OK) == 0; i++) usleep(100 * 1000);
    strata_db_close(db);
    return 0;
}
