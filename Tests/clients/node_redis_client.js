// node-redis (Debian's node-redis) against recur serve: connect, PING, SCORE, MSCORE, an
// auto-pipelined batch of 1000, AUTH, and an unknown command that leaves the connection usable.
const { createClient } = require('redis');
const version = require('redis/package.json').version;
const [port, user, expected, at, token] = process.argv.slice(2);

function check(condition, what) {
  if (!condition) { console.error(`FAIL node-redis ${version}: ${what}`); process.exit(1); }
}

async function main() {
  const client = createClient({ socket: { port: Number(port), host: '127.0.0.1', reconnectStrategy: false }, password: token, name: 'recur-test' });
  client.on('error', (error) => { console.error(`FAIL node-redis ${version}: ${error}`); process.exit(1); });
  await client.connect();
  check(await client.ping() === 'PONG', 'PING');
  check(await client.sendCommand(['SCORE', user, 'AT', at]) === expected, 'SCORE');
  const scores = await client.sendCommand(['MSCORE', user, 'nobody-at-all']);
  check(scores.length === 2 && scores[1].endsWith(' cold'), `MSCORE ${scores}`);
  // Commands issued in the same tick go out as one pipeline.
  const replies = await Promise.all(Array.from({ length: 1000 }, () => client.sendCommand(['SCORE', user, 'AT', at])));
  check(replies.every((reply) => reply === expected), 'pipeline of 1000');
  const transaction = client.multi();
  for (let i = 0; i < 100; i++) transaction.addCommand(['SCORE', user, 'AT', at]);
  const executed = await transaction.exec();
  check(executed.length === 100 && executed.every((reply) => reply === expected), 'MULTI/EXEC of 100');
  let failed = false;
  try { await client.sendCommand(['NO-SUCH-COMMAND', 'x']); } catch (error) { failed = String(error).includes('UNKNOWN_COMMAND'); }
  check(failed, 'an unknown command fails with UNKNOWN_COMMAND');
  check(await client.ping() === 'PONG', 'PING after the error');
  check((await client.info()).includes('redis_version:'), 'INFO');
  await client.quit();
  if (token) {
    const anonymous = createClient({ socket: { port: Number(port), host: '127.0.0.1', reconnectStrategy: false } });
    anonymous.on('error', () => {});
    await anonymous.connect();
    let refused = false;
    try { await anonymous.sendCommand(['SCORE', user]); } catch (error) { refused = String(error).includes('NOAUTH'); }
    check(refused, 'SCORE without AUTH is refused with NOAUTH');
    let wrongRefused = false;
    try { await anonymous.sendCommand(['AUTH', 'wrong']); } catch (error) { wrongRefused = String(error).includes('WRONGPASS'); }
    check(wrongRefused, 'a wrong token is refused with WRONGPASS');
    check(await anonymous.sendCommand(['AUTH', token]) === 'OK', 'AUTH with the token');
    check(await anonymous.sendCommand(['SCORE', user, 'AT', at]) === expected, 'SCORE after AUTH');
    await anonymous.disconnect();
    console.log(`ok node-redis ${version} AUTH refused without and with a wrong token`);
  }
  console.log(`ok node-redis ${version}`);
}

main().catch((error) => { console.error(`FAIL node-redis ${version}: ${error.stack || error}`); process.exit(1); });
