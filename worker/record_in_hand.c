/* The record the app has in hand. See record_in_hand.h. */
#include "record_in_hand.h"

struct record_in_hand record_in_hand__now;
volatile sig_atomic_t record_in_hand__valid;

bool
record_in_hand_get(struct record_in_hand *r)
{
    if (!record_in_hand__valid)
        return false;
    atomic_signal_fence(memory_order_seq_cst);
    *r = record_in_hand__now;
    return true;
}
