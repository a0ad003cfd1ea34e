// Type-checks the npm package's TypeScript declarations the way a web
// developer uses them (tsc --noEmit --strict; nothing runs). `make test`
// checks it against the freshly built pkg/.
import init, { PaymentStream, version } from '../../pkg/ilp_stream_web.js';
import type { PaymentStreamError, ProgressDetail, StopDetail } from '../../pkg/ilp_stream_web.js';

export async function usage(): Promise<void> {
  await init();
  const v: string = version();
  const s = new PaymentStream({
    btp: 'btp+wss://alice:token@connector.example',
    receiver: '$wallet.example/bob',
    amountPerSecond: 100000n,
    maxTotal: '10000000',
    slippage: 0.01,
  });
  // Listeners get typed details, without options or with them.
  s.addEventListener('progress', (e) => {
    const d: ProgressDetail = e.detail;
    const total: string = d.totalDelivered;
    const receipt: string | null = d.receipt;
    console.log(v, total, receipt);
  });
  s.addEventListener('stop', (e) => {
    const d: StopDetail = e.detail;
    if (d.reason === 'max-total') console.log(d.totalSent);
  }, { once: true });
  s.addEventListener('error', (e) => console.log(e.detail.code, e.detail.message));
  try {
    await s.start();
  } catch (err) {
    console.log((err as PaymentStreamError).code);
  }
  s.pause();
  s.resume();
  const { sent, delivered } = await s.pay('5000000');
  await s.sendData(new TextEncoder().encode('hello'));
  await s.stop();
  const state: 'idle' | 'connecting' | 'streaming' | 'paused' | 'stopped' | 'failed' = s.state;
  console.log(sent, delivered, s.totalSent, s.totalDelivered, state);
  s.free();
}
