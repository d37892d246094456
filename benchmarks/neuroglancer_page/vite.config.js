// The smallest neuroglancer page: its viewer with only the dvid and precomputed data sources
// (the view-load benchmark opens the same view from each). Built by build.sh; see README.
import { defineConfig } from "vite";

export default defineConfig({
  base: "",
  resolve: {
    conditions: [
      "neuroglancer/datasource:none_by_default",
      "neuroglancer/datasource/dvid:enabled",
      "neuroglancer/datasource/precomputed:enabled",
    ],
  },
  worker: { format: "es" },
  build: { chunkSizeWarningLimit: 8 * 1024 * 1024 },
  optimizeDeps: {
    entries: [
      "index.html",
      "node_modules/neuroglancer/lib/main.bundle.js",
      "node_modules/neuroglancer/lib/async_computation.bundle.js",
      "node_modules/neuroglancer/lib/chunk_worker.bundle.js",
    ],
    exclude: ["neuroglancer"],
  },
});
