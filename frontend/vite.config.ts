/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console is served under /console/ by the local server (internal/console)
// and by CloudFront in AWS; during `npm run dev` the management API is proxied
// to a `make run` server on 127.0.0.1:8080.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  server: {
    proxy: { '/admin/v1': process.env.PORTICO_URL ?? 'http://127.0.0.1:8080' },
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
    chunkSizeWarningLimit: 700,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    testTimeout: 20_000,
  },
});
