import type { Config } from "@react-router/dev/config";

export default {
  // Server-rendered: every Store API call runs in loaders and actions on the server.
  ssr: true,
} satisfies Config;
