// The publisher's side of the Web Monetization page: only the spec's API. Each
// <link rel="monetization"> receives `monetization` events (MonetizationEvent) as
// money reaches its receiver: amountSent { value, currency }, paymentPointer, receipt.

/** Adds two decimal strings exactly (no floating point). */
function addDecimal (a, b) {
  const [ai, af = ''] = a.split('.');
  const [bi, bf = ''] = b.split('.');
  const n = Math.max(af.length, bf.length);
  const sum = BigInt(ai + af.padEnd(n, '0')) + BigInt(bi + bf.padEnd(n, '0'));
  const digits = sum.toString().padStart(n + 1, '0');
  const frac = digits.slice(digits.length - n).replace(/0+$/, '');
  return frac ? `${digits.slice(0, digits.length - n)}.${frac}` : digits.slice(0, digits.length - n);
}

for (const link of document.querySelectorAll('link[rel="monetization"]')) {
  let total = '0';
  let count = 0;
  const totalEl = document.getElementById(`${link.id}-total`);
  const countEl = document.getElementById(`${link.id}-events`);
  link.addEventListener('monetization', (event) => {
    const { value, currency } = event.amountSent;
    total = addDecimal(total, value);
    count += 1;
    totalEl.textContent = `${total} ${currency}`;
    totalEl.dataset.raw = total;
    countEl.textContent = String(count);
    document.body.dataset.monetized = 'true';
    if (event.receipt) {
      document.getElementById('receipt').textContent = `Latest receipt (${event.paymentPointer}): ${event.receipt}`;
    }
  });
  link.addEventListener('error', (event) => {
    countEl.textContent = `${count} (error: ${event.detail?.code ?? 'unknown'})`;
  });
}
