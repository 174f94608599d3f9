// Warren's mark: tunnels of a burrow, nested arches over a floor line.
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg class="logo" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M6 24v-5a10 10 0 0 1 20 0v5" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" />
      <path d="M11 24v-4a5 5 0 0 1 10 0v4" fill="none" stroke="#fff" stroke-opacity=".75" stroke-width="2.6" stroke-linecap="round" />
      <circle cx="16" cy="22.5" r="1.8" fill="#fff" />
    </svg>
  );
}
