// Number display for cards: thousands separators, at most 4 decimals, no locale dependence.

/** 1200 → "1,200"; 1234.5 → "1,234.5"; 0.00001 → "0". */
export function formatNumber(n: number): string {
  const rounded = Math.round(n * 10_000) / 10_000;
  const negative = rounded < 0;
  const [int, frac] = Math.abs(rounded).toFixed(4).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const decimals = frac.replace(/0+$/, '');
  return `${negative ? '-' : ''}${grouped}${decimals ? `.${decimals}` : ''}`;
}

/** An amount in 万元 as shown on cards: "1,200 万元". */
export function formatWan(n: number): string {
  return `${formatNumber(n)} 万元`;
}
