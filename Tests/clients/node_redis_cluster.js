// node-redis's cluster client (Debian's node-redis) against a Recur cluster: it discovers the nodes
// with CLUSTER SLOTS, sends each SCORE to the node of the user's slot, and follows MOVED.
// Reads `user<TAB>expected` lines on stdin; prints OK when every answer equals the expected one.
const { createCluster } = require('redis');
const [port, at] = process.argv.slice(2);

async function main() {
  const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0);
  const cluster = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${port}` }], defaults: { socket: { reconnectStrategy: false } } });
  cluster.on('error', (error) => { console.error(`FAIL node-redis cluster: ${error}`); process.exit(1); });
  await cluster.connect();
  let wrong = 0;
  for (const line of lines) {
    const [user, expected] = line.split('\t');
    let answer;
    try {
      answer = await cluster.sendCommand(user, true, ['SCORE', user, 'AT', at]);
    } catch (error) {
      answer = error.message.startsWith('ERR ') ? error.message : `ERR ${error.message}`; // a refusal (PAST_AT) is an answer too
    }
    if (answer !== expected) { wrong += 1; console.log(`${user}: ${answer} != ${expected}`); }
  }
  await cluster.disconnect();
  console.log(wrong === 0 ? 'OK' : `${wrong} wrong`);
  process.exit(wrong === 0 ? 0 : 1);
}
main().catch((error) => { console.error(`FAIL node-redis cluster: ${error}`); process.exit(1); });
