# ruby-redis (Debian's ruby-redis) against recur serve: connect, PING, SCORE, MSCORE, a pipeline of
# 1000, AUTH, and an unknown command that leaves the connection usable.
require 'redis'

port, user, expected, at, token = ARGV
port = Integer(port)

def check(condition, what)
  return if condition
  warn "FAIL ruby-redis #{Redis::VERSION}: #{what}"
  exit 1
end

r = Redis.new(host: '127.0.0.1', port: port, password: token, id: 'recur-test', reconnect_attempts: 0)
check(r.ping == 'PONG', 'PING')
check(r.call('SCORE', user, 'AT', at) == expected, 'SCORE')
scores = r.call('MSCORE', user, 'nobody-at-all')
check(scores.length == 2 && scores[1].end_with?(' cold'), "MSCORE #{scores}")
replies = r.pipelined { |pipe| 1000.times { pipe.call('SCORE', user, 'AT', at) } }
check(replies == [expected] * 1000, 'pipeline of 1000')
executed = r.multi { |transaction| 100.times { transaction.call('SCORE', user, 'AT', at) } }
check(executed == [expected] * 100, 'MULTI/EXEC of 100')
begin
  r.call('NO-SUCH-COMMAND', 'x')
  check(false, 'an unknown command should fail')
rescue Redis::CommandError => e
  check(e.message.include?('UNKNOWN_COMMAND'), "unknown command error: #{e.message}")
end
check(r.ping == 'PONG', 'PING after the error')
check(r.info.key?('redis_version'), 'INFO')
r.close

if token
  anonymous = Redis.new(host: '127.0.0.1', port: port, reconnect_attempts: 0)
  begin
    anonymous.call('SCORE', user)
    check(false, 'SCORE without AUTH should fail')
  rescue Redis::CommandError => e
    check(e.message.start_with?('NOAUTH'), "without AUTH: #{e.message}")
  end
  begin
    Redis.new(host: '127.0.0.1', port: port, password: 'wrong', reconnect_attempts: 0).ping
    check(false, 'a wrong password should fail')
  rescue Redis::CommandError => e
    check(e.message.start_with?('WRONGPASS'), "wrong password: #{e.message}")
  end
  puts "ok ruby-redis #{Redis::VERSION} AUTH refused without and with a wrong token"
end
puts "ok ruby-redis #{Redis::VERSION}"
