/*
 * bnn_status.h: the status codes of the generated C and the precondition check every entry
 * point makes before it touches a buffer (after emlearn's EML_PRECONDITION): a call that breaks
 * a precondition returns a negative bnn_status_t and reads and writes nothing.
 */
#ifndef BNN_STATUS_H
#define BNN_STATUS_H

typedef enum {
    BNN_OK = 0,
    BNN_ERR_NULL = -1,  /* a NULL argument */
    BNN_ERR_SIZE = -2,  /* a buffer smaller than the model needs */
    BNN_ERR_LIMIT = -3  /* the model exceeds a limit this build was compiled with (BNN_MAX_OUT_WORDS) */
} bnn_status_t;

/* Returns `error` from the calling function unless `cond` holds. */
#define BNN_PRECONDITION(cond, error) \
    do {                              \
        if (!(cond)) return (error);  \
    } while (0)

#endif /* BNN_STATUS_H */
