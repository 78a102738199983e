/* Operations not written yet: each answers that it is not supported. */
#include "server.h"

#define LATER(fn) \
    int fn(srv_call *c) { return srv_fail(c, 400, SRV_UNKNOWN_OP, "%s is not supported yet", #fn); }
LATER(op_hist_table_log)
LATER(op_hist_item_history)
LATER(op_hist_get_item)
LATER(op_hist_query)
LATER(op_hist_scan)
LATER(op_hist_diff)
LATER(op_hist_restore_table)
LATER(op_hist_restore_item)
