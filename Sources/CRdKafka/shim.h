#ifndef RECUR_CRDKAFKA_SHIM_H
#define RECUR_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

// Cast macros are not imported into Swift; re-export them as constants.
static const int32_t recur_kafka_partition_ua = RD_KAFKA_PARTITION_UA;
static const int64_t recur_kafka_offset_beginning = RD_KAFKA_OFFSET_BEGINNING;
static const int64_t recur_kafka_offset_end = RD_KAFKA_OFFSET_END;
static const int64_t recur_kafka_offset_stored = RD_KAFKA_OFFSET_STORED;
static const int64_t recur_kafka_offset_invalid = RD_KAFKA_OFFSET_INVALID;
static const int recur_kafka_msg_f_copy = RD_KAFKA_MSG_F_COPY;
#endif
