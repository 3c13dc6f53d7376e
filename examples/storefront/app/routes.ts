import { type RouteConfig, index, route } from "@react-router/dev/routes";

export default [
  index("routes/home.tsx"),
  route("products/:handle", "routes/product.tsx"),
  route("categories/:handle", "routes/listing.tsx", { id: "category" }),
  route("collections/:handle", "routes/listing.tsx", { id: "collection" }),
  route("search", "routes/search.tsx"),
  route("pages/:slug", "routes/page.tsx"),
  route("cart", "routes/cart.tsx"),
  route("checkout", "routes/checkout.tsx"),
  route("order/:id", "routes/order.tsx"),
  route("account", "routes/account.tsx"),
  route("account/login", "routes/account.login.tsx"),
  route("account/register", "routes/account.register.tsx"),
] satisfies RouteConfig;
