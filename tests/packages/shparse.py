# SPDX-License-Identifier: GPL-2.0
"""A small static reader of the repo's shell code for tests/packages/check.

Not a shell: it lexes bash well enough to find every simple command (the
words of a command line after assignments and redirections), including those
inside $(...), `...`, <(...), "bash -c '...'", trap and eval strings, and
records function definitions, `shift`s and `. file` lines so that check can
tell the repo's own functions and command wrappers (tap_check NAME CMD...)
from programs.  Heredoc bodies are kept aside (check reads Python in them).
"""

import re

KEYWORDS_CMD = {"if", "then", "else", "elif", "do", "while", "until", "!", "{",
                "time", "coproc"}
KEYWORDS_END = {"fi", "done", "esac", "}"}
OPS = ["<<<", ";;&", "&>>", ";;", ";&", "&&", "||", "|&", ">>", "<<", "<&", ">&",
       "&>", ">|", "<>", "(", ")", ";", "&", "|", "<", ">", "\n"]
REDIRS = {"<<<", ">>", "<&", ">&", "&>", "&>>", ">|", "<>", "<", ">"}
ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")
SUB = "\x00"  # stands for an expansion whose value is unknown statically


class Word:
    """A shell word: text with quotes removed and expansions kept verbatim
    (a command substitution reads as $(...)); raw is the unlexed source."""

    def __init__(self, text, raw, line):
        self.text, self.raw, self.line = text, raw, line

    def dynamic(self):
        return "$" in self.text or "`" in self.text or SUB in self.text

    def __repr__(self):
        return "Word(%r)" % self.text


class Command:
    def __init__(self, words, line, func):
        self.words, self.line, self.func = words, line, func


class Script:
    """Everything read from one file (or one string of shell code)."""

    def __init__(self):
        self.commands = []      # Command, in order
        self.functions = {}     # name -> line
        self.shifts = {}        # function -> total of its `shift N`
        self.heredocs = []      # (line, body)
        self.sources = []       # Word after `.` or `source`
        self.assigns = []       # (NAME=value word, function) outside commands


def _match_paren(s, i, open_="(", close=")"):
    """Index just past the bracket matching the one before s[i]; skips quotes."""
    depth = 1
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = s.find("'", i + 1)
            i = len(s) if j < 0 else j + 1
            continue
        if c == '"':
            i = _match_dquote(s, i + 1)
            continue
        if c == "#" and (i == 0 or s[i - 1] in " \t\n"):
            j = s.find("\n", i)
            i = len(s) if j < 0 else j
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(s)


def _match_dquote(s, i):
    """Index just past the closing double quote of a string opened before s[i]."""
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if s.startswith("$(", i):
            i = _match_paren(s, i + 2)
            continue
        if c == "`":
            j = s.find("`", i + 1)
            i = len(s) if j < 0 else j + 1
            continue
        i += 1
    return len(s)


def lex(src, line0, subs):
    """Tokens of src: ("w", Word) or ("op", str).  Code found in command or
    process substitutions is appended to subs as (line, code)."""
    toks = []
    i, n, line = 0, len(src), line0
    text, raw, in_word = [], [], False
    pending_heredocs = []

    def end_word():
        nonlocal text, raw, in_word
        if in_word:
            toks.append(("w", Word("".join(text), "".join(raw), line)))
        text, raw, in_word = [], [], False

    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n:
            if src[i + 1] == "\n":
                line += 1
                i += 2
                continue
            text.append(src[i + 1])
            raw.append(src[i:i + 2])
            in_word = True
            i += 2
            continue
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "#" and not in_word:
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "'":
            j = src.find("'", i + 1)
            j = n if j < 0 else j
            text.append(src[i + 1:j])
            raw.append(src[i:j + 1])
            line += src.count("\n", i, j)
            in_word = True
            i = j + 1
            continue
        if c == '"':
            j = _match_dquote(src, i + 1)
            inner = src[i + 1:j - 1]
            # substitutions inside the string are code too
            k = 0
            while k < len(inner):
                if inner.startswith("$((", k):
                    k = _match_paren(inner, k + 3) + 1
                elif inner.startswith("$(", k):
                    e = _match_paren(inner, k + 2)
                    subs.append((line + inner.count("\n", 0, k), inner[k + 2:e - 1], len(toks)))
                    k = e
                elif inner[k] == "\\":
                    k += 2
                else:
                    k += 1
            text.append(inner.replace('\\"', '"').replace("\\$", SUB).replace("\\\\", "\\"))
            raw.append(src[i:j])
            line += src.count("\n", i, j)
            in_word = True
            i = j
            continue
        if c == "$" and src.startswith("$((", i):
            j = _match_paren(src, i + 3) + 1
            text.append(SUB)
            raw.append(src[i:j])
            in_word = True
            i = j
            continue
        if c == "$" and src.startswith("$(", i):
            j = _match_paren(src, i + 2)
            subs.append((line, src[i + 2:j - 1], len(toks)))
            text.append("$(...)")
            raw.append(src[i:j])
            line += src.count("\n", i, j)
            in_word = True
            i = j
            continue
        if c == "$" and src.startswith("${", i):
            j = _match_paren(src, i + 2, "{", "}")
            text.append(src[i:j])
            raw.append(src[i:j])
            in_word = True
            i = j
            continue
        if c == "$" and src.startswith("$'", i):
            j = i + 2
            while j < n and src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            text.append(SUB)
            raw.append(src[i:j + 1])
            in_word = True
            i = j + 1
            continue
        if c == "`":
            j = src.find("`", i + 1)
            j = n if j < 0 else j
            subs.append((line, src[i + 1:j], len(toks)))
            text.append("$(...)")
            raw.append(src[i:j + 1])
            in_word = True
            i = j + 1
            continue
        if c in "<>" and src.startswith("(", i + 1) and not in_word:
            j = _match_paren(src, i + 2)
            subs.append((line, src[i + 2:j - 1], len(toks)))
            text.append(SUB)
            raw.append(src[i:j])
            in_word = True
            i = j
            continue
        if c == "(" and in_word and "".join(text).endswith("="):
            # arr=(...): words, maybe with substitutions, never commands
            j = _match_paren(src, i + 1)
            inner_subs = []
            lex(src[i + 1:j - 1], line, inner_subs)
            subs.extend((ln, code, len(toks)) for ln, code, _ in inner_subs)
            text.append(SUB)
            raw.append(src[i:j])
            line += src.count("\n", i, j)
            i = j
            continue
        if c == "(" and src.startswith("((", i) and not in_word:
            j = _match_paren(src, i + 2) + 1
            toks.append(("op", "(("))
            line += src.count("\n", i, j)
            i = j
            continue
        op = next((o for o in OPS if src.startswith(o, i)), None)
        if op:
            if op in REDIRS or op == "<<":
                # 2>file: the digits were the fd, not a word
                if in_word and "".join(raw).isdigit():
                    text, raw, in_word = [], [], False
            end_word()
            if op == "<<":
                m = re.match(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1", src[i:])
                if m:
                    pending_heredocs.append(m.group(2))
                    toks.append(("op", "<<"))
                    i += m.end()
                    continue
            toks.append(("op", op))
            i += len(op)
            if op == "\n":
                line += 1
                for delim in pending_heredocs:
                    body = []
                    while i < n:
                        j = src.find("\n", i)
                        j = n if j < 0 else j
                        ln = src[i:j]
                        i = j + 1
                        line += 1
                        if ln.strip() == delim:
                            break
                        body.append(ln)
                    toks.append(("heredoc", (line, "\n".join(body))))
                pending_heredocs = []
            continue
        text.append(c)
        raw.append(c)
        in_word = True
        i += 1
    end_word()
    return toks


def parse(src, script=None, line0=1, func=None):
    """Adds the simple commands of src to script (a Script) and returns it."""
    if script is None:
        script = Script()
    subs = []
    toks = lex(src, line0, subs)
    cmd = []            # words of the simple command being read
    cmd_line = line0
    expect = "cmd"      # "cmd", "args", "pattern" (case), "skip_to_do", "dbracket"
    braces = []         # function bodies: (name, depth at which they opened)
    depth = 0
    pending_func = None
    case_depth = 0
    cur_func = func

    def flush():
        nonlocal cmd
        if cmd:
            script.commands.append(Command(cmd, cmd_line, cur_func))
            if cmd[0].text == "shift" and cur_func:
                k = cmd[1].text if len(cmd) > 1 and cmd[1].text.isdigit() else "1"
                script.shifts[cur_func] = script.shifts.get(cur_func, 0) + int(k)
            if cmd[0].text in (".", "source") and len(cmd) > 1:
                script.sources.append(cmd[1])
        cmd = []

    func_at = {}
    k = 0
    while k < len(toks):
        func_at.setdefault(k, cur_func)
        kind, v = toks[k]
        k += 1
        if kind == "heredoc":
            script.heredocs.append(v)
            continue
        if kind == "op":
            if expect == "pattern":
                if v == ")":
                    expect = "cmd"
                continue
            if expect in ("skip_to_do", "dbracket"):
                continue
            if v in REDIRS or v == "<<":
                if k < len(toks) and toks[k][0] == "w":
                    k += 1      # the redirection's target
                continue
            flush()
            if v in (";;", ";&", ";;&") and case_depth:
                expect = "pattern"
                continue
            if v == "((":
                expect = "args"
                continue
            if v == "(" and expect == "args" and pending_func is None:
                continue
            expect = "cmd"
            continue
        w = v
        if expect == "pattern":
            if w.text == "esac":
                case_depth -= 1
                expect = "args"
            continue
        if expect == "skip_to_do":
            if w.text == "do":
                expect = "cmd"
            continue
        if expect == "dbracket":
            if w.text == "]]":
                expect = "args"
            continue
        if expect == "cmd":
            t = w.text
            if pending_func is not None and t == "{":
                braces.append((pending_func, depth))
                cur_func = pending_func
                pending_func = None
                depth += 1
                continue
            if t in KEYWORDS_CMD and not cmd:
                if t == "{":
                    depth += 1
                continue
            if t in KEYWORDS_END and not cmd:
                if t == "}":
                    depth -= 1
                    if braces and braces[-1][1] == depth:
                        braces.pop()
                        cur_func = braces[-1][0] if braces else func
                if t == "esac":
                    case_depth -= 1
                expect = "args"
                continue
            if t in ("for", "select") and not cmd:
                # for NAME in WORDS: NAME takes each word, like NAME=WORD
                if (k + 1 < len(toks) and toks[k][0] == "w" and toks[k + 1][0] == "w"
                        and toks[k + 1][1].text == "in"):
                    name = toks[k][1].text
                    j = k + 2
                    while j < len(toks) and toks[j][0] == "w":
                        v = toks[j][1]
                        script.assigns.append((Word(name + "=" + v.text, v.raw, v.line), cur_func))
                        j += 1
                expect = "skip_to_do"
                continue
            if t == "case" and not cmd:
                case_depth += 1
                # case WORD in: skip to "in", then patterns
                while k < len(toks) and not (toks[k][0] == "w" and toks[k][1].text == "in"):
                    k += 1
                k += 1
                expect = "pattern"
                continue
            if t == "[[" and not cmd:
                expect = "dbracket"
                continue
            if t == "function" and not cmd:
                if k < len(toks) and toks[k][0] == "w":
                    pending_func = toks[k][1].text
                    script.functions[pending_func] = toks[k][1].line
                    k += 1
                    if k + 1 < len(toks) and toks[k] == ("op", "(") and toks[k + 1] == ("op", ")"):
                        k += 2
                continue
            # name() {: a function definition
            if (not cmd and k + 1 < len(toks) and toks[k] == ("op", "(")
                    and toks[k + 1] == ("op", ")")):
                pending_func = t
                script.functions[t] = w.line
                k += 2
                continue
            if not cmd and ASSIGN.match(t) and not w.raw.startswith(("'", '"')):
                script.assigns.append((w, cur_func))
                continue
            cmd = [w]
            cmd_line = w.line
            expect = "args"
            continue
        cmd.append(w)
    flush()
    for line, code, at in subs:
        known = [i for i in func_at if i <= at]
        parse(code, script, line, func_at[max(known)] if known else func)
    return script
