#!/usr/bin/env python3
"""Replays the build stages of a Dockerfile on the host, with no container engine.

Used by scripts/check-dockerfile.sh (see there for the modes). It reads the Dockerfile,
finds the stages the TARGET stage needs (FROM <stage>, COPY --from=<stage>), and runs their
instructions in order, each stage in a folder of its own that stands for the image's file
system:

  * the build context is the repository filtered by .dockerignore (Docker's rules: patterns
    relative to the context, `*`, `?`, `**`, `!` exceptions, a matched folder excludes all
    below it);
  * WORKDIR, COPY (from the context or --from another stage) and RUN run as Docker would, RUN
    with `sh -c` in the stage's WORKDIR, with the ARG/ENV values in the environment;
  * absolute paths of the image (the WORKDIRs, COPY destinations, and paths in RUN commands
    that do not exist on the host, such as /out) are mapped into the stage's folder; host
    paths (/usr/bin/...) are left alone, so `cargo`, `install`, `chmod` are the host's;
  * a stage FROM another stage starts from a copy of that stage's folder; a stage FROM an
    image starts empty (the host stands for the image: its Rust toolchain for rust:*).

Afterwards every `COPY --from=<replayed stage>` of the stages that were not replayed (the
runtime image) must find its source, so the runtime stage gets what it expects.

With --fast, RUN commands are changed in two ways, printed as they run: `--release` is
dropped and `target/release/` becomes `target/debug/`, and every stage's `target` folder is
a link to the repository's own target/ folder, so the dependencies CI has already built are
reused. The same commands, files and targets are checked; only the profile differs.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s*(.*)$", re.S)


def logical_lines(text):
    """Dockerfile lines with continuations joined and comment lines dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") and not current:
            continue
        if stripped.startswith("#") and current:
            continue  # a comment inside a continued instruction, as Docker allows
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


class Stage:
    def __init__(self, index, base, name):
        self.index = index
        self.base = base
        self.name = name or str(index)
        self.steps = []  # (instruction, arguments)


def parse(text):
    global_args, stages = {}, []
    for line in logical_lines(text):
        match = INSTRUCTION.match(line)
        if not match:
            continue
        instruction, rest = match.group(1).upper(), match.group(2).strip()
        if instruction == "FROM":
            words = rest.split()
            words = [w for w in words if not w.startswith("--platform")]
            base = words[0]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(len(stages), base, name))
        elif not stages:
            if instruction == "ARG":
                key, _, value = rest.partition("=")
                global_args[key.strip()] = value.strip()
        else:
            stages[-1].steps.append((instruction, rest))
    return global_args, stages


def dockerignore_patterns(context):
    path = os.path.join(context, ".dockerignore")
    patterns = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for raw in f:
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                negated = line.startswith("!")
                line = line[1:].strip() if negated else line
                line = os.path.normpath(line.strip("/"))
                patterns.append((negated, pattern_regex(line)))
    return patterns


def pattern_regex(pattern):
    """Docker's .dockerignore pattern (Go filepath.Match plus `**`) as a regex."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif c == "*":
            out += "[^/]*"
            i += 1
        elif c == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(c)
            i += 1
    return re.compile("^" + out + "$")


def excluded(rel, patterns):
    parts = rel.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for negated, regex in patterns:
        if any(regex.match(p) for p in prefixes):
            verdict = not negated
    return verdict


def copy_context(context, dest, patterns):
    """Copies the build context into dest, filtered by .dockerignore; returns the file count."""
    count = 0
    has_exceptions = any(neg for neg, _ in patterns)
    for dirpath, dirnames, filenames in os.walk(context):
        rel_dir = os.path.relpath(dirpath, context)
        rel_dir = "" if rel_dir == "." else rel_dir
        if not has_exceptions:
            dirnames[:] = [
                d for d in dirnames if not excluded(os.path.join(rel_dir, d) if rel_dir else d, patterns)
            ]
        for name in filenames:
            rel = os.path.join(rel_dir, name) if rel_dir else name
            if excluded(rel, patterns):
                continue
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(dirpath, name), target, follow_symlinks=False)
            count += 1
    return count


def substitute(text, values):
    def repl(match):
        name = match.group(1) or match.group(2)
        return values.get(name, match.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", repl, text)


class Replay:
    def __init__(self, args):
        self.context = os.path.abspath(args.context)
        self.work = os.path.abspath(args.work)
        self.fast = args.fast
        self.patterns = dockerignore_patterns(self.context)
        self.context_copy = os.path.join(self.work, "context")
        with open(args.dockerfile, encoding="utf-8") as f:
            self.global_args, self.stages = parse(f.read())
        self.by_name = {s.name: s for s in self.stages}
        self.roots = {}
        self.workdirs = {}
        self.image_dirs = set()
        self.target = args.target

    def needed(self, name, seen=None):
        seen = seen if seen is not None else []
        stage = self.by_name[name]
        deps = []
        if stage.base in self.by_name:
            deps.append(stage.base)
        for instruction, rest in stage.steps:
            if instruction == "COPY":
                for word in rest.split():
                    if word.startswith("--from="):
                        deps.append(word.split("=", 1)[1])
        for dep in deps:
            if dep not in seen:
                self.needed(dep, seen)
        if name not in seen:
            seen.append(name)
        return seen

    def image_path(self, stage, path):
        return os.path.join(self.roots[stage], path.lstrip("/"))

    def map_command(self, stage, command):
        def repl(match):
            path = match.group(1)
            first = path.strip("/").split("/")[0]
            if first in self.image_dirs:
                return self.image_path(stage, path)
            return path

        return re.sub(r"(?<![\w./:$-])(/[A-Za-z0-9_.+-]+(?:/[A-Za-z0-9_.+*-]*)*)", repl, command)

    def collect_image_dirs(self):
        """Top folders of the image: WORKDIRs, COPY destinations, and RUN paths the host lacks."""
        for stage in self.stages:
            for instruction, rest in stage.steps:
                if instruction == "WORKDIR":
                    self.image_dirs.add(rest.strip("/").split("/")[0])
                elif instruction == "COPY":
                    words = [w for w in shlex.split(rest) if not w.startswith("--")]
                    if words and words[-1].startswith("/"):
                        self.image_dirs.add(words[-1].strip("/").split("/")[0])
                elif instruction == "RUN":
                    for path in re.findall(r"(?<![\w./:$-])/([A-Za-z0-9_.+-]+)", rest):
                        if not os.path.exists("/" + path):
                            self.image_dirs.add(path)

    def run(self):
        if self.target not in self.by_name:
            sys.exit(f"error: no stage named {self.target} in the Dockerfile")
        order = self.needed(self.target)
        self.collect_image_dirs()
        os.makedirs(self.context_copy, exist_ok=True)
        files = copy_context(self.context, self.context_copy, self.patterns)
        print(f"== build context: {files} files after .dockerignore; stages: {' -> '.join(order)}")
        for name in order:
            self.replay(self.by_name[name])
        # What the other stages take from the replayed ones must be there.
        missing = 0
        for stage in self.stages:
            if stage.name in order:
                continue
            for instruction, rest in stage.steps:
                if instruction != "COPY":
                    continue
                words = shlex.split(rest)
                source = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
                if source not in order:
                    continue
                for src in [w for w in words if not w.startswith("--")][:-1]:
                    path = self.image_path(source, src)
                    ok = os.path.exists(path)
                    print(f"   {'ok' if ok else 'MISSING'}: stage {stage.name} COPY --from={source} {src}")
                    missing += 0 if ok else 1
        if missing:
            sys.exit(f"error: {missing} file(s) the runtime stage copies were not built")

    def replay(self, stage):
        if stage.base in self.by_name:
            root = os.path.join(self.work, "stages", stage.name)
            shutil.copytree(self.roots[stage.base], root, symlinks=True)
            workdir = self.workdirs[stage.base]
        else:
            root = os.path.join(self.work, "stages", stage.name)
            os.makedirs(root, exist_ok=True)
            workdir = "/"
        self.roots[stage.name] = root
        env = dict(os.environ)
        env.update(self.global_args)
        total = len(stage.steps)
        for number, (instruction, rest) in enumerate(stage.steps, 1):
            rest = substitute(rest, {k: v for k, v in env.items()})
            label = f"[{stage.name} {number}/{total}] {instruction} {rest}"
            if instruction == "WORKDIR":
                workdir = rest if rest.startswith("/") else os.path.join(workdir, rest)
                os.makedirs(self.image_path(stage.name, workdir), exist_ok=True)
                self.link_target(stage.name, workdir)
                print(f"== {label}")
            elif instruction in ("ARG", "ENV"):
                key, _, value = rest.partition("=")
                if value or instruction == "ENV":
                    env[key.strip()] = value.strip().strip('"')
            elif instruction == "COPY":
                print(f"== {label}")
                self.copy(stage.name, workdir, rest)
            elif instruction == "RUN":
                command = rest
                if self.fast:
                    if re.search(r"\brm\b", command) and "target" in command:
                        sys.exit(
                            f"error: {label!r} removes files under target/, which --fast shares with "
                            "the repository: replay with DOCKER_REPLAY=full"
                        )
                    command = command.replace(" --release", "").replace("target/release/", "target/debug/")
                mapped = self.map_command(stage.name, command)
                print(f"== {label}")
                if mapped != rest:
                    print(f"   as: {mapped}")
                started = time.monotonic()
                result = subprocess.run(["sh", "-c", mapped], cwd=self.image_path(stage.name, workdir), env=env)
                print(f"   ({time.monotonic() - started:.1f} s)")
                if result.returncode != 0:
                    sys.exit(f"error: step {label!r} failed with exit code {result.returncode}")
            else:
                print(f"-- {label} (not replayed)")
        self.workdirs[stage.name] = workdir

    def link_target(self, stage, workdir):
        """--fast: the stage's `target` folder is the repository's own."""
        if not self.fast:
            return
        link = os.path.join(self.image_path(stage, workdir), "target")
        if not os.path.lexists(link):
            os.makedirs(os.path.join(self.context, "target"), exist_ok=True)
            os.symlink(os.path.join(self.context, "target"), link)

    def copy(self, stage, workdir, rest):
        words = shlex.split(rest)
        source_stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
        paths = [w for w in words if not w.startswith("--")]
        *sources, dest = paths
        dest_path = dest if dest.startswith("/") else os.path.join(workdir, dest)
        dest_abs = self.image_path(stage, dest_path)
        for src in sources:
            if source_stage is None:
                origin = os.path.join(self.context_copy, src)
            else:
                origin = self.image_path(source_stage, src)
            if not os.path.exists(origin):
                sys.exit(f"error: COPY source {src} not found (excluded by .dockerignore?)")
            if os.path.isdir(origin):
                shutil.copytree(origin, dest_abs, symlinks=True, dirs_exist_ok=True)
            else:
                into = dest.endswith("/") or os.path.isdir(dest_abs) or len(sources) > 1
                target = os.path.join(dest_abs, os.path.basename(src)) if into else dest_abs
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(origin, target)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dockerfile", required=True)
    parser.add_argument("--context", required=True)
    parser.add_argument("--work", required=True, help="an empty folder for the stages")
    parser.add_argument("--target", default="builder")
    parser.add_argument("--fast", action="store_true")
    Replay(parser.parse_args()).run()


if __name__ == "__main__":
    main()
