/* strata-server's legacy parameters: each becomes the expression DynamoDB documents as its
 * equivalent (Expected {a: {Exists: false}} is attribute_not_exists(a), {a: {Value: v}} is
 * a = v, ComparisonOperator BETWEEN is a BETWEEN v0 AND v1, AttributeUpdates PUT is SET a = v,
 * …), so the library's one evaluator serves both styles. */
#include "legacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void legacy_free(legacy *lg)
{
    json_decref(lg->names);
    json_decref(lg->values);
    free(lg->condition);
    free(lg->key_condition);
    free(lg->projection);
    free(lg->update);
    memset(lg, 0, sizeof *lg);
}

static const char *const expr_params[] = {"ConditionExpression", "UpdateExpression",
    "KeyConditionExpression", "FilterExpression", "ProjectionExpression", NULL};
static const char *const legacy_params[] = {"Expected", "AttributeUpdates", "KeyConditions",
    "QueryFilter", "ScanFilter", "AttributesToGet", "ConditionalOperator", NULL};

/* Refuse a request mixing both styles. */
static int mixed(srv_call *c)
{
    const char *e = NULL, *l = NULL;
    for (int i = 0; expr_params[i]; i++)
        if (json_object_get(c->in, expr_params[i])) e = expr_params[i];
    for (int i = 0; legacy_params[i]; i++)
        if (json_object_get(c->in, legacy_params[i])) l = legacy_params[i];
    if (e && l)
        return srv_invalid(c, "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}", l, e);
    return 0;
}

static int start(legacy *lg)
{
    if (!lg->names) lg->names = json_object();
    if (!lg->values) lg->values = json_object();
    lg->used = 1;
    return lg->names && lg->values ? 0 : -1;
}

/* A new #placeholder for attribute `attr`, written to b. */
static void name_ph(legacy *lg, sbuf *b, const char *attr)
{
    char ph[32];
    snprintf(ph, sizeof ph, "#l%d", lg->n++);
    json_object_set_new(lg->names, ph, json_string(attr));
    sbuf_cstr(b, ph);
}

/* A new :placeholder for AttributeValue v, written to b. */
static void value_ph(legacy *lg, sbuf *b, json_t *v)
{
    char ph[32];
    snprintf(ph, sizeof ph, ":l%d", lg->n++);
    json_object_set(lg->values, ph, v);
    sbuf_cstr(b, ph);
}

static char *take(sbuf *b)
{
    if (b->failed) {
        sbuf_free(b);
        return NULL;
    }
    char *s = b->data ? b->data : strdup("");
    b->data = NULL;
    return s;
}

/* One ComparisonOperator condition on attribute `attr`. */
static int comparison(srv_call *c, legacy *lg, sbuf *b, const char *attr, const char *op, json_t *list)
{
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    static const struct { const char *op, *sym; size_t args; } table[] = {
        {"EQ", "=", 1}, {"NE", "<>", 1}, {"LE", "<=", 1}, {"LT", "<", 1}, {"GE", ">=", 1},
        {"GT", ">", 1}, {"NOT_NULL", "attribute_exists", 0}, {"NULL", "attribute_not_exists", 0},
        {"CONTAINS", "contains", 1}, {"NOT_CONTAINS", "NOT contains", 1},
        {"BEGINS_WITH", "begins_with", 1}, {"IN", "IN", 0}, {"BETWEEN", "BETWEEN", 2}};
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (strcmp(op, table[i].op) != 0) continue;
        int in = strcmp(op, "IN") == 0;
        if ((!in && n != table[i].args) || (in && n == 0))
            return srv_invalid(c, "One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", op);
        if (table[i].sym[0] == '=' || table[i].sym[0] == '<' || table[i].sym[0] == '>') {
            name_ph(lg, b, attr);
            sbuf_fmt(b, " %s ", table[i].sym);
            value_ph(lg, b, json_array_get(list, 0));
        } else if (in) {
            name_ph(lg, b, attr);
            sbuf_cstr(b, " IN (");
            for (size_t k = 0; k < n; k++) {
                if (k) sbuf_cstr(b, ", ");
                value_ph(lg, b, json_array_get(list, k));
            }
            sbuf_cstr(b, ")");
        } else if (strcmp(op, "BETWEEN") == 0) {
            name_ph(lg, b, attr);
            sbuf_cstr(b, " BETWEEN ");
            value_ph(lg, b, json_array_get(list, 0));
            sbuf_cstr(b, " AND ");
            value_ph(lg, b, json_array_get(list, 1));
        } else {
            sbuf_fmt(b, "%s(", table[i].sym);
            name_ph(lg, b, attr);
            if (table[i].args) {
                sbuf_cstr(b, ", ");
                value_ph(lg, b, json_array_get(list, 0));
            }
            sbuf_cstr(b, ")");
        }
        return 0;
    }
    return srv_invalid(c, "1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]", op);
}

/* The ConditionalOperator joining the conditions: " AND " or " OR ". */
static const char *joiner(srv_call *c, int *bad)
{
    const char *op = srv_get_str(c, c->in, "ConditionalOperator", bad);
    if (!op || strcmp(op, "AND") == 0) return " AND ";
    if (strcmp(op, "OR") == 0) return " OR ";
    srv_invalid(c, "1 validation error detected: Value '%s' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]", op);
    *bad = 1;
    return NULL;
}

/* Conditions of the form {attr: {ComparisonOperator, AttributeValueList}} (KeyConditions,
 * QueryFilter, ScanFilter) or, when `expected`, Expected's {attr: {Value, Exists, …}}. */
static char *conditions(srv_call *c, legacy *lg, json_t *conds, const char *join, int expected)
{
    sbuf b = {0};
    const char *attr;
    json_t *spec;
    int first = 1;
    json_object_foreach(conds, attr, spec) {
        if (!json_is_object(spec)) {
            srv_fail(c, 400, SRV_SERIALIZATION, "Unexpected value type in payload: condition of %s must be an object", attr);
            goto fail;
        }
        if (!first) sbuf_cstr(&b, join);
        first = 0;
        const char *op = json_string_value(json_object_get(spec, "ComparisonOperator"));
        json_t *value = json_object_get(spec, "Value");
        json_t *exists = json_object_get(spec, "Exists");
        if (op) {
            if (expected && value) {
                srv_invalid(c, "One or more parameter values were invalid: Value and ComparisonOperator cannot be used together for Attribute: %s", attr);
                goto fail;
            }
            if (comparison(c, lg, &b, attr, op, json_object_get(spec, "AttributeValueList"))) goto fail;
        } else if (!expected) {
            srv_invalid(c, "1 validation error detected: Value null at 'comparisonOperator' failed to satisfy constraint: Member must not be null");
            goto fail;
        } else if (json_is_false(exists)) {
            if (value) {
                srv_invalid(c, "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: %s", attr);
                goto fail;
            }
            sbuf_cstr(&b, "attribute_not_exists(");
            name_ph(lg, &b, attr);
            sbuf_cstr(&b, ")");
        } else {
            if (!value) {
                srv_invalid(c, "One or more parameter values were invalid: Value must be provided when Exists is %s for Attribute: %s",
                            exists ? "true" : "null", attr);
                goto fail;
            }
            name_ph(lg, &b, attr);
            sbuf_cstr(&b, " = ");
            value_ph(lg, &b, value);
        }
    }
    return take(&b);
fail:
    sbuf_free(&b);
    return NULL;
}

int legacy_expected(srv_call *c, legacy *lg, const char *expr)
{
    (void)expr;
    int bad = 0;
    json_t *exp = srv_get_obj(c, c->in, "Expected", &bad);
    if (bad || mixed(c)) return -1;
    if (!exp || json_object_size(exp) == 0) return 0;
    const char *join = joiner(c, &bad);
    if (bad || start(lg)) return -1;
    lg->condition = conditions(c, lg, exp, join, 1);
    return lg->condition ? 0 : -1;
}

int legacy_attributes_to_get(srv_call *c, legacy *lg, const char *expr)
{
    (void)expr;
    int bad = 0;
    json_t *atg = srv_get_arr(c, c->in, "AttributesToGet", &bad);
    if (bad || mixed(c)) return -1;
    if (!atg) return 0;
    if (json_array_size(atg) == 0)
        return srv_invalid(c, "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1");
    if (start(lg)) return -1;
    sbuf b = {0};
    size_t i;
    json_t *a;
    json_array_foreach(atg, i, a) {
        if (!json_is_string(a)) {
            sbuf_free(&b);
            return srv_fail(c, 400, SRV_SERIALIZATION, "Unexpected value type in payload: AttributesToGet must hold strings");
        }
        for (size_t k = 0; k < i; k++)
            if (json_equal(a, json_array_get(atg, k))) {
                sbuf_free(&b);
                return srv_invalid(c, "One or more parameter values were invalid: Duplicate value in attribute name: %s", json_string_value(a));
            }
        if (i) sbuf_cstr(&b, ", ");
        name_ph(lg, &b, json_string_value(a));
    }
    lg->projection = take(&b);
    return lg->projection ? 0 : -1;
}

int legacy_attribute_updates(srv_call *c, legacy *lg, const char *expr)
{
    (void)expr;
    int bad = 0;
    json_t *au = srv_get_obj(c, c->in, "AttributeUpdates", &bad);
    if (bad || mixed(c)) return -1;
    if (!au || json_object_size(au) == 0) return 0;
    if (start(lg)) return -1;
    sbuf set = {0}, rem = {0}, add = {0}, del = {0}, all = {0};
    const char *attr;
    json_t *spec;
    int rc = -1;
    json_object_foreach(au, attr, spec) {
        const char *action = json_string_value(json_object_get(spec, "Action"));
        json_t *value = json_object_get(spec, "Value");
        if (!action) action = "PUT";
        sbuf *to;
        if (strcmp(action, "PUT") == 0) {
            if (!value) {
                srv_invalid(c, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified");
                goto done;
            }
            to = &set;
            if (to->len) sbuf_cstr(to, ", ");
            name_ph(lg, to, attr);
            sbuf_cstr(to, " = ");
            value_ph(lg, to, value);
        } else if (strcmp(action, "DELETE") == 0) {
            to = value ? &del : &rem;
            if (to->len) sbuf_cstr(to, ", ");
            name_ph(lg, to, attr);
            if (value) {
                sbuf_cstr(to, " ");
                value_ph(lg, to, value);
            }
        } else if (strcmp(action, "ADD") == 0) {
            if (!value) {
                srv_invalid(c, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified");
                goto done;
            }
            to = &add;
            if (to->len) sbuf_cstr(to, ", ");
            name_ph(lg, to, attr);
            sbuf_cstr(to, " ");
            value_ph(lg, to, value);
        } else {
            srv_invalid(c, "1 validation error detected: Value '%s' at 'attributeUpdates.%s.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]", action, attr);
            goto done;
        }
    }
    if (set.len) sbuf_fmt(&all, "SET %s ", set.data);
    if (rem.len) sbuf_fmt(&all, "REMOVE %s ", rem.data);
    if (add.len) sbuf_fmt(&all, "ADD %s ", add.data);
    if (del.len) sbuf_fmt(&all, "DELETE %s ", del.data);
    lg->update = take(&all);
    rc = lg->update ? 0 : -1;
done:
    sbuf_free(&set);
    sbuf_free(&rem);
    sbuf_free(&add);
    sbuf_free(&del);
    sbuf_free(&all);
    return rc;
}

int legacy_query(srv_call *c, legacy *lg, int scan, const char *keycond, const char *filter,
                 const char *projection)
{
    (void)keycond;
    (void)filter;
    int bad = 0;
    json_t *kc = scan ? NULL : srv_get_obj(c, c->in, "KeyConditions", &bad);
    json_t *f = srv_get_obj(c, c->in, scan ? "ScanFilter" : "QueryFilter", &bad);
    if (bad || mixed(c)) return -1;
    if (legacy_attributes_to_get(c, lg, projection)) return -1;
    if (kc && json_object_size(kc)) {
        if (start(lg)) return -1;
        lg->key_condition = conditions(c, lg, kc, " AND ", 0);
        if (!lg->key_condition) return -1;
    }
    if (f && json_object_size(f)) {
        const char *join = joiner(c, &bad);
        if (bad || start(lg)) return -1;
        lg->condition = conditions(c, lg, f, join, 0);
        if (!lg->condition) return -1;
    }
    return 0;
}
