import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';

// A setup link printed by `sluice serve` may arrive as /setup?token=… (or /?setup=…): move it into the hash route.
const url = new URL(window.location.href);
const setupToken = url.searchParams.get('token') ?? url.searchParams.get('setup');
if (setupToken && !window.location.hash) {
  window.history.replaceState(null, '', `${url.pathname.replace(/setup\/?$/, '')}#/setup?token=${encodeURIComponent(setupToken)}`);
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
