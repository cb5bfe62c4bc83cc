// Money as the API gives it: an integer of minor units and an ISO 4217 code. Formatted with the
// currency's exponent by moving the decimal point in the digits' text, never through a float, so
// 1999 EUR is "19.99 EUR" and a 2^53-sized amount keeps every digit.

// The exponents other than 2, as the server has them (src/core/money.cpp).
const EXPONENTS = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0,
  VUV: 0, XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4,
};

export function exponent(currency) {
  return EXPONENTS[String(currency ?? '').toUpperCase()] ?? 2;
}

// (1999, 'eur') → "19.99 EUR", (-500, 'JPY') → "-500 JPY", (1234567, 'EUR') → "12,345.67 EUR"; a missing
// amount is "—".
export function money(minor, currency) {
  if (minor === null || minor === undefined || minor === '') return '—';
  return `${decimal(minor, currency)} ${String(currency ?? '').toUpperCase()}`.trim();
}

// The amount alone, as money() writes it: (1234567, 'EUR') → "12,345.67".
export function decimal(minor, currency) {
  const digits = BigInt(minor);
  const negative = digits < 0n;
  const exp = exponent(currency);
  const text = (negative ? -digits : digits).toString().padStart(exp + 1, '0');
  const whole = text.slice(0, text.length - exp).replace(/\B(?=(\d{3})+$)/g, ',');
  return `${negative ? '-' : ''}${whole}${exp ? `.${text.slice(text.length - exp)}` : ''}`;
}

// What a person typed ("12.5", "1,000.00") as minor units of `currency`, or null when it is no amount
// there: more decimals than the currency has, or anything but digits.
export function parseMoney(text, currency) {
  const m = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(String(text).replace(/,/g, ''));
  const exp = exponent(currency);
  if (!m || (m[2] ?? '').length > exp) return null;
  const minor = BigInt(m[1] + (m[2] ?? '').padEnd(exp, '0'));
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : null;
}
