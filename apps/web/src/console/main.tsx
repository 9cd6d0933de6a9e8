/**
 * @module
 * The console's entry: asks the server's auth mode, then renders the app into `#app`. `data-ready` on `<body>`
 * tells people and tests alike that the first screen is drawn.
 */
import { render } from "preact";
import { App } from "./app.tsx";
import { loadAuthMode } from "./session.ts";
import "./styles.css";

const root = document.getElementById("app");
if (root === null) throw new Error("missing #app");
await loadAuthMode();
render(<App />, root);
document.body.dataset.ready = "true";
