// Double-f32 ("df32") arithmetic: a value is hi + lo in a vec2f (x = hi, y = lo, |lo| <= ulp(hi)/2),
// about 48 bits of precision. Sampling uses it so that its cuts and its draw land where the CPU's
// f64 sampler puts them: plain f32 masses (7 digits) pick another id for ~1 draw in 10^4 at
// V = 50257, df32 for ~1 in 10^10. Only correctly rounded +, -, * are used (no division, no
// hardware exp); products split operands by bit masks, so FMA contraction cannot change a result.

fn two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  let bb = s - a;
  return vec2f(s, (a - (s - bb)) + (b - bb));
}

fn quick_two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  return vec2f(s, b - (s - a));
}

// a * b exactly, as hi + lo: the 12-bit halves' products are exact in f32 (Dekker).
fn two_prod(a: f32, b: f32) -> vec2f {
  let p = a * b;
  let ah = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  let bh = bitcast<f32>(bitcast<u32>(b) & 0xfffff000u);
  let al = a - ah;
  let bl = b - bh;
  return vec2f(p, ((ah * bh - p) + ah * bl + al * bh) + al * bl);
}

fn df_add(a: vec2f, b: vec2f) -> vec2f {
  var s = two_sum(a.x, b.x);
  let t = two_sum(a.y, b.y);
  s = quick_two_sum(s.x, s.y + t.x);
  return quick_two_sum(s.x, s.y + t.y);
}

fn df_mul(a: vec2f, b: vec2f) -> vec2f {
  let p = two_prod(a.x, b.x);
  return quick_two_sum(p.x, p.y + (a.x * b.y + a.y * b.x));
}

// a / n for a small positive integer n: an f32 quotient, then one exact correction step.
fn df_div_int(a: vec2f, n: f32) -> vec2f {
  let q = a.x / n;
  let p = two_prod(q, n);
  return quick_two_sum(q, (((a.x - p.x) - p.y) + a.y) / n);
}

// Sign of a - b (normalised df32: hi decides).
fn df_ge(a: vec2f, b: vec2f) -> bool { return df_add(a, -b).x >= 0.0; }
fn df_gt(a: vec2f, b: vec2f) -> bool { return df_add(a, -b).x > 0.0; }

// exp(x) for x <= 0 to ~1e-14 relative: x = k ln2 + r, |r| <= ln2/2, exp(r) by Horner to
// r^12/12! (the innermost factors in f32: they enter scaled by r^7/7! < 2e-7), times 2^k.
fn df_exp(x: vec2f) -> vec2f {
  if (x.x < -100.0) { return vec2f(0.0); } // < 4e-44 of the max token: no f32 mass
  let LN2 = vec2f(0.693147182464599609375, -1.9046543e-09);
  let k = round(x.x * 1.44269504088896340736);
  let r = df_add(x, -df_mul(vec2f(k, 0.0), LN2));
  var t = 1.0;
  for (var n = 12.0; n >= 8.0; n -= 1.0) { t = 1.0 + r.x / n * t; }
  var e = vec2f(t, 0.0);
  for (var n = 7.0; n >= 1.0; n -= 1.0) { e = df_add(vec2f(1.0, 0.0), df_mul(df_div_int(r, n), e)); }
  let s = i32(k);
  return vec2f(ldexp(e.x, s), ldexp(e.y, s));
}
