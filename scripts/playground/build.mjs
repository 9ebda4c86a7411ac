// Builds the playground into assets/playground/ (see build.sh): one script, one stylesheet,
// the editor's three web workers and its icon font, LICENSES.txt for the bundled packages,
// and SHA256SUMS, which a unit test (src/server/playground.rs) checks the embedded files against.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, "../../assets/playground"));
const modules = join(here, "node_modules");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: {
    playground: "src/playground.jsx",
    "editor.worker": "monaco-editor/esm/vs/editor/editor.worker.js",
    "json.worker": "monaco-editor/esm/vs/language/json/json.worker.js",
    "graphql.worker": "monaco-graphql/esm/graphql.worker.js",
  },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: out,
  entryNames: "[name]",
  assetNames: "[name]",
  loader: { ".ttf": "file" },
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "none",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
});

// Every npm package with a file in the bundle, with its license text.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!match) continue;
  const dir = join(here, match[1]);
  if (packages.has(dir)) continue;
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const licenseFile = readdirSync(dir).find((name) => /^(licen[sc]e|copying)(\.|$)/i.test(name));
  packages.set(dir, {
    name: manifest.name,
    version: manifest.version,
    license: manifest.license ?? "see the package",
    text: licenseFile ? readFileSync(join(dir, licenseFile), "utf8").trim() : "",
  });
}
const notices = [...packages.values()].sort((a, b) =>
  `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`),
);
writeFileSync(
  join(out, "LICENSES.txt"),
  "Packages bundled in inkgraph's playground (built by scripts/playground/build.sh)\n\n" +
    notices
      .map((p) => `== ${p.name}@${p.version} (${p.license})\n\n${p.text || "(no license file in the package)"}\n`)
      .join("\n"),
);

const files = readdirSync(out).filter((name) => name !== "SHA256SUMS").sort();
const sums = files
  .map((name) => `${createHash("sha256").update(readFileSync(join(out, name))).digest("hex")}  ${name}\n`)
  .join("");
writeFileSync(join(out, "SHA256SUMS"), sums);
process.stdout.write(sums);
if (!existsSync(modules)) throw new Error("node_modules missing");
