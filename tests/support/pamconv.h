/* pamconv.h - what every C test program needs from a PAM application: a
 * conversation function that answers prompts from a list, and the name of
 * a PAM return code.  Linked into tests/pam_driver.c, the attack and fault
 * drivers, tests/integration/set_authtok.c, fuzz/fuzz_pam.c and
 * bench/pam_bench.c (compile tests/support/pamconv.c with them). */
#ifndef PJ_TEST_PAMCONV_H
#define PJ_TEST_PAMCONV_H

#include <stddef.h>
#include <security/pam_appl.h>

/* The conversation's state (pass its address as appdata_ptr).  Zero it,
 * then set what you need: only answers/n are usual. */
struct pamconv {
	char **answers;   /* each prompt takes the next one ... */
	int n, next;
	const char *rest; /* ... then this (NULL: the empty answer) */
	int prompts;      /* prompts seen (echo on and off) */
	int echo;         /* 1: "prompt: TEXT" / "message: TEXT" to stderr */
	/* an answer's text from its list entry (malloc'd; NULL: out of
	 * memory); NULL means a copy of the entry */
	char *(*load)(const char *spec);
	/* allocation, for programs that wrap calloc/strdup with faults
	 * (NULL: the libc ones) */
	void *(*calloc_fn)(size_t, size_t);
	char *(*strdup_fn)(const char *);
};

/* A pam_conv conversation function over struct pamconv: every
 * PAM_PROMPT_ECHO_OFF/ON message gets an answer, other messages none.
 * PAM_CONV_ERR for a message count libpam never sends (<= 0 or above
 * PAM_MAX_NUM_MSG), PAM_BUF_ERR when an allocation fails. */
int pamconv_answer(int num, const struct pam_message **msg,
    struct pam_response **resp, void *appdata_ptr);

/* "PAM_SUCCESS", "PAM_AUTH_ERR", ...; "PAM_OTHER" for a code not named. */
const char *pam_code_name(int code);

#endif
