/* dbdump.c — prints dbdump.h's text of a run database: `dbdump DB > FILE`.
 * make test-slurm compares a merge of shards with a single run through it. */
#include "tests/dbdump.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dbdump DB\n");
        return 2;
    }
    const char *why;
    char *d = dbdump(argv[1], &why);
    if (!d) {
        fprintf(stderr, "dbdump: %s\n", why);
        return 1;
    }
    fputs(d, stdout);
    free(d);
    return 0;
}
