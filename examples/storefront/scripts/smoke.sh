#!/usr/bin/env bash
# Smoke test of the storefront against a running store, the way a browser without JS walks it:
#   GET / (products) → GET a product page → POST add to cart → GET /cart (the line)
#   → GET /checkout → POST checkout (email, address, shipping, pp_system_default) → /order/:id (display id).
# Usage: scripts/smoke.sh [BASE_URL]   (default http://127.0.0.1:3000). Exits non-zero on the first failure.
set -euo pipefail

BASE="${1:-http://127.0.0.1:3000}"
BASE="${BASE%/}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
JAR="$WORK/cookies.txt"
step=0

fail() { echo "FAIL: $*" >&2; [[ -f "$WORK/body.html" ]] && { echo "--- last body (head) ---" >&2; head -c 2000 "$WORK/body.html" >&2; echo >&2; }; exit 1; }
ok() { step=$((step + 1)); echo "ok $step - $*"; }

# request METHOD PATH [curl args...]: body to $WORK/body.html, status to $STATUS, Location to $LOCATION
request() {
  local method="$1" path="$2"; shift 2
  local out
  out="$(curl -sS -X "$method" -b "$JAR" -c "$JAR" -o "$WORK/body.html" -D "$WORK/headers.txt" \
    -w '%{http_code}' --max-time 60 "$@" "$BASE$path")" || fail "$method $path: curl failed"
  STATUS="$out"
  LOCATION="$(grep -i '^location:' "$WORK/headers.txt" | tail -1 | sed 's/^[Ll]ocation: *//' | tr -d '\r')" || true
}

# first match of an extended regex's group 1 in the last body
extract() { grep -oE "$1" "$WORK/body.html" | head -1 | sed -E "s/$1/\\1/" || true; }
count() { grep -oE "$1" "$WORK/body.html" | wc -l | tr -d ' '; }

# 1. home: featured products
request GET /
[[ "$STATUS" == 200 ]] || fail "GET / answered $STATUS"
cards="$(count 'data-testid="product-card"')"
(( cards > 0 )) || fail "GET / shows no products"
mapfile -t handles < <(grep -oE 'href="/products/[^"]+"' "$WORK/body.html" | sed -E 's/href="\/products\/([^"]+)"/\1/')
ok "GET / shows $cards products"

# 2. a product page with an in-stock, priced variant (the first such product on the home page)
variant=""
for handle in "${handles[@]}"; do
  request GET "/products/$handle"
  [[ "$STATUS" == 200 ]] || fail "GET /products/$handle answered $STATUS"
  if grep -qE 'data-testid="add-to-cart"' "$WORK/body.html" && ! grep -qE '<button[^>]*disabled=""[^>]*data-testid="add-to-cart"' "$WORK/body.html"; then
    variant="$(extract 'name="variant_id" value="(variant_[^"]+)"')"
    [[ -n "$variant" ]] && break
  fi
done
[[ -n "$variant" ]] || fail "no product on the home page can be added to the cart"
title="$(extract 'data-testid="product-title">([^<]+)<')"
price="$(extract 'data-testid="product-price">([^<]+)<')"
ok "GET /products/$handle shows \"$title\" at $price (variant $variant)"

# 3. add to cart (quantity 2): the action redirects to /cart and sets the HttpOnly cart cookie
request POST "/products/$handle" --data-urlencode "variant_id=$variant" --data-urlencode "quantity=2"
[[ "$STATUS" == 302 && "$LOCATION" == "/cart" ]] || fail "add to cart answered $STATUS (Location: $LOCATION)"
grep -i '^set-cookie: cart_id=' "$WORK/headers.txt" | grep -qi 'httponly' || fail "add to cart set no HttpOnly cart_id cookie"
grep -i '^set-cookie: cart_id=' "$WORK/headers.txt" | grep -qi 'samesite=lax' || fail "the cart_id cookie is not SameSite=Lax"
ok "POST /products/$handle (add 2 to cart) → 302 /cart with an HttpOnly SameSite=Lax cart cookie"

# 4. the cart shows the line
request GET /cart
[[ "$STATUS" == 200 ]] || fail "GET /cart answered $STATUS"
lines="$(count 'data-testid="cart-line"')"
(( lines == 1 )) || fail "GET /cart shows $lines lines, expected 1"
qty="$(grep -oE '<input[^>]*data-testid="cart-line-quantity"[^>]*>' "$WORK/body.html" | grep -oE 'value="[0-9]+"' | head -1 | tr -dc 0-9)"
[[ "$qty" == 2 ]] || fail "the cart line has quantity '$qty', expected 2"
total="$(extract 'data-testid="cart-total">([^<]+)<')"
ok "GET /cart shows 1 line (quantity $qty), total $total"

# 5. checkout form: a country of the cart's region and the first shipping option
request GET /checkout
[[ "$STATUS" == 200 ]] || fail "GET /checkout answered $STATUS"
country="$(grep -oE '<select[^>]*name="country_code"[^>]*>.*</select>' "$WORK/body.html" | grep -oE '<option value="[a-z]{2}"' | head -1 | sed -E 's/.*"([a-z]{2})"/\1/')"
option="$(grep -oE '<input[^>]*name="shipping_option_id"[^>]*>' "$WORK/body.html" | grep -oE 'value="so_[^"]+"' | head -1 | sed -E 's/value="([^"]+)"/\1/')"
[[ -n "$country" ]] || fail "the checkout offers no country"
[[ -n "$option" ]] || fail "the checkout offers no shipping option"
ok "GET /checkout offers country $country and shipping option $option"

# 6. place the order: redirect to /order/:id and the cart cookie is cleared
request POST /checkout \
  --data-urlencode "email=smoke@example.com" \
  --data-urlencode "first_name=Ada" --data-urlencode "last_name=Lovelace" \
  --data-urlencode "address_1=Main Street 1" --data-urlencode "postal_code=2200" --data-urlencode "city=Copenhagen" \
  --data-urlencode "country_code=$country" --data-urlencode "phone=+4512345678" \
  --data-urlencode "shipping_option_id=$option"
if [[ "$STATUS" != 302 ]]; then
  fail "POST /checkout answered $STATUS: $(extract 'data-testid="checkout-error">([^<]+)<')"
fi
[[ "$LOCATION" =~ ^/order/(order_[A-Za-z0-9]+)$ ]] || fail "POST /checkout redirected to '$LOCATION', not /order/:id"
order_id="${BASH_REMATCH[1]}"
order_path="$LOCATION"
grep -i '^set-cookie: cart_id=;' "$WORK/headers.txt" | grep -qi 'max-age=0' || fail "POST /checkout did not clear the cart cookie"
ok "POST /checkout → 302 $order_path (cart cookie cleared)"

# 7. the confirmation shows the order's display id and total
request GET "$order_path"
[[ "$STATUS" == 200 ]] || fail "GET $order_path answered $STATUS"
display="$(extract 'data-testid="order-number"[^>]*>#([0-9]+)<')"
[[ -n "$display" ]] || fail "GET $order_path shows no order number"
order_total="$(extract 'data-testid="order-total">([^<]+)<')"
ok "GET $order_path shows order #$display ($order_id), total $order_total"

# 8. the cart is gone after the order
request GET /cart
grep -q 'data-testid="cart-empty"' "$WORK/body.html" || fail "the cart still shows lines after the order"
ok "GET /cart is empty after the order"

echo "smoke: all $step steps passed against $BASE"
