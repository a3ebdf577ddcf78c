/* Fuzz target: every message the coordinator and the workers unpack from
 * the wire (JoinRequest, TaskRequest, TaskReport; JoinReply, Task,
 * ReportReply), from the same bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "mr.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ProtobufCMessageDescriptor *d[] = {
        &mr__task_request__descriptor, &mr__task_report__descriptor,
        &mr__task__descriptor, &mr__report_reply__descriptor,
        &mr__join_request__descriptor, &mr__join_reply__descriptor,
    };

    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        ProtobufCMessage *m = protobuf_c_message_unpack(d[i], NULL, size,
                                                        data);
        if (m == NULL)
            continue;
        /* Packing what was unpacked must stay within its computed size.
         * (Re-unpacking is not checked: protobuf-c keeps an unknown field
         * numbered 0 that it then refuses; nothing here re-packs a
         * received message.) */
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *buf = malloc(n ? n : 1);
        if (protobuf_c_message_pack(m, buf) != n)
            abort();
        protobuf_c_message_free_unpacked(m, NULL);
        free(buf);
    }
    return 0;
}
