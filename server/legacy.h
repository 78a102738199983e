/* strata-server's translation of DynamoDB's legacy parameters (Expected, AttributeUpdates,
 * KeyConditions, QueryFilter, ScanFilter, AttributesToGet, ConditionalOperator) into the
 * expressions strata evaluates, with generated #placeholders and :placeholders. */
#ifndef STRATA_SERVER_LEGACY_H
#define STRATA_SERVER_LEGACY_H

#include "server.h"

typedef struct legacy {
    int used;             /* a legacy parameter was translated: names/values replace the request's */
    json_t *names;        /* {"#lN": "attr"} (owned) */
    json_t *values;       /* {":lN": AttributeValue} (owned) */
    int n;                /* placeholders made so far */
    char *condition;      /* Expected, QueryFilter or ScanFilter (owned) */
    char *key_condition;  /* KeyConditions (owned) */
    char *projection;     /* AttributesToGet (owned) */
    char *update;         /* AttributeUpdates (owned) */
} legacy;

void legacy_free(legacy *lg);

/* Each translates its parameters when present; `expr` is the expression parameter of the same
 * role, and giving both is a ValidationException. 0 or -1 (the error is set). */
int legacy_expected(srv_call *c, legacy *lg, const char *expr);
int legacy_attributes_to_get(srv_call *c, legacy *lg, const char *expr);
int legacy_attribute_updates(srv_call *c, legacy *lg, const char *expr);
int legacy_query(srv_call *c, legacy *lg, int scan, const char *keycond, const char *filter,
                 const char *projection);

#endif
