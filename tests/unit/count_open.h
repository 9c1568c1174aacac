/* count_open.h - the module's open(2) of one path, counted.  For the unit
 * programs that tests/unit.mk links with count_open.c and --wrap=open
 * (test_bind: the configuration file; test_user: the user map). */
#ifndef PJ_TEST_COUNT_OPEN_H
#define PJ_TEST_COUNT_OPEN_H

/* Every open(2) of exactly this path adds one to counted_opens; NULL
 * counts nothing. */
extern const char *counted_path;
extern int counted_opens;

#endif
