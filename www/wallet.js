// Stands in for the visitor's Web Monetization wallet. In real life an extension or
// the browser pays the page's monetization links; here the demo server lends the
// visitor a BTP account on the local Interledger network and monetize() pays them.
import init, { monetize } from '/pkg/ilp_stream_web.js';

const badge = document.getElementById('wallet');
const say = (text) => { if (badge) badge.textContent = `Visitor's wallet (stand-in): ${text}`; };

try {
  await init();
  const res = await fetch('/wallet', { method: 'POST' });
  if (!res.ok) throw new Error(`the demo server lent no account (HTTP ${res.status})`);
  const { btp, amountPerSecond, assetCode, assetScale } = await res.json();
  const m = monetize({ btp, amountPerSecond, whenHidden: 'pause' });
  const show = () => {
    const sent = BigInt(m.totalSent);
    const unit = 10n ** BigInt(assetScale);
    const frac = (sent % unit).toString().padStart(assetScale, '0').replace(/0+$/, '');
    say(`paying ${m.links.length} link(s), sent ${sent / unit}${frac ? `.${frac}` : ''} ${assetCode}`);
    document.body.dataset.walletSent = m.totalSent;
  };
  show();
  setInterval(show, 500);
  window.addEventListener('pagehide', () => { m.stop(); });
} catch (err) {
  say(`not paying: ${err.message}`);
}
