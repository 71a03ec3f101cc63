/* hiredis (Debian's libhiredis-dev) against recur serve: connect, PING, SCORE, MSCORE, a pipeline of
 * 1000, AUTH, and an unknown command that leaves the connection usable.
 * Build: cc -o hiredis_client hiredis_client.c -lhiredis */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int condition, const char *what) {
    if (!condition) { fprintf(stderr, "FAIL hiredis %d.%d.%d: %s\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH, what); exit(1); }
}

static redisContext *open_connection(int port) {
    redisContext *c = redisConnect("127.0.0.1", port);
    check(c != NULL && !c->err, "connect");
    return c;
}

static int reply_is(redisReply *reply, int type, const char *text) {
    return reply != NULL && reply->type == type && (text == NULL || strcmp(reply->str, text) == 0);
}

int main(int argc, char **argv) {
    check(argc >= 5, "usage: hiredis_client PORT USER EXPECTED AT [TOKEN]");
    int port = atoi(argv[1]);
    const char *user = argv[2], *expected = argv[3], *at = argv[4], *token = argc > 5 ? argv[5] : NULL;
    redisContext *c = open_connection(port);
    redisReply *reply;
    if (token) {
        reply = redisCommand(c, "SCORE %s", user);
        check(reply != NULL && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOAUTH", 6) == 0, "SCORE without AUTH is refused with NOAUTH");
        freeReplyObject(reply);
        reply = redisCommand(c, "AUTH %s", "wrong");
        check(reply != NULL && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "WRONGPASS", 9) == 0, "a wrong token is refused with WRONGPASS");
        freeReplyObject(reply);
        reply = redisCommand(c, "AUTH %s", token);
        check(reply_is(reply, REDIS_REPLY_STATUS, "OK"), "AUTH");
        freeReplyObject(reply);
    }
    reply = redisCommand(c, "PING");
    check(reply_is(reply, REDIS_REPLY_STATUS, "PONG"), "PING");
    freeReplyObject(reply);
    reply = redisCommand(c, "SCORE %s AT %s", user, at);
    check(reply_is(reply, REDIS_REPLY_STRING, expected), "SCORE");
    freeReplyObject(reply);
    reply = redisCommand(c, "MSCORE %s %s", user, "nobody-at-all");
    check(reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && strstr(reply->element[1]->str, " cold") != NULL, "MSCORE");
    freeReplyObject(reply);
    for (int i = 0; i < 1000; i++) redisAppendCommand(c, "SCORE %s AT %s", user, at);
    for (int i = 0; i < 1000; i++) {
        check(redisGetReply(c, (void **)&reply) == REDIS_OK, "pipeline reply");
        check(reply_is(reply, REDIS_REPLY_STRING, expected), "pipeline of 1000");
        freeReplyObject(reply);
    }
    reply = redisCommand(c, "NO-SUCH-COMMAND x");
    check(reply != NULL && reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "UNKNOWN_COMMAND") != NULL, "an unknown command fails");
    freeReplyObject(reply);
    reply = redisCommand(c, "PING");
    check(reply_is(reply, REDIS_REPLY_STATUS, "PONG"), "PING after the error");
    freeReplyObject(reply);
    redisFree(c);
    if (token) printf("ok hiredis %d.%d.%d AUTH refused without and with a wrong token\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    printf("ok hiredis %d.%d.%d\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    return 0;
}
