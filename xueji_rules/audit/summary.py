"""The audit's running totals and the summary printed at the end: outcomes, failing rules and articles, errors."""

from __future__ import annotations

from collections import Counter

#: how many of the most failed rules and articles the summary lists per question
TOP = 10


class Summary:
    def __init__(self, policy, questions: list[str]):
        self.policy = policy
        self.questions = questions
        self.rows = 0  # students read
        self.outcomes = {q: Counter() for q in questions}
        self.failed = {q: Counter() for q in questions}
        self.errors = Counter()  # error code -> (row, question) pairs
        self.error_rows = 0  # students with an error in at least one question
        self.seconds = 0.0

    def add_rows(self, n: int, rows_in_error: int) -> None:
        self.rows += n
        self.error_rows += rows_in_error

    def add_answers(self, question: str, result) -> None:
        """Count one chunk's answers of one question (the backend's frame, rows in error included)."""
        import polars as pl

        answered = result.filter(pl.col("error").is_null())
        for outcome, n in answered.group_by("outcome").len().iter_rows():
            self.outcomes[question][outcome] += n
        flags = [c for c in answered.columns if c.startswith("failed:")]
        if flags and answered.height:
            sums = answered.select([pl.col(c).sum() for c in flags]).row(0)
            for c, n in zip(flags, sums):
                if n:
                    self.failed[question][c.split(":", 1)[1]] += n

    def merge(self, other: "Summary") -> None:
        """Add the counts of another summary (one chunk's, from a worker)."""
        self.rows += other.rows
        self.error_rows += other.error_rows
        self.errors.update(other.errors)
        for q in self.questions:
            self.outcomes[q].update(other.outcomes[q])
            self.failed[q].update(other.failed[q])

    def add_errors(self, codes) -> None:
        self.errors.update(codes)

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "rows_in_error": self.error_rows,
            "seconds": round(self.seconds, 3),
            "questions": {
                q: {"outcomes": dict(self.outcomes[q].most_common()),
                    "failed_rules": [{"rule": rid, "article": self._article(q, rid), "rows": n}
                                     for rid, n in self.failed[q].most_common(TOP)],
                    "failed_articles": [{"article": a, "rows": n} for a, n in self._articles(q).most_common(TOP)]}
                for q in self.questions},
            "errors": dict(self.errors.most_common()),
        }

    def _article(self, question: str, rule_id: str) -> str:
        rule = next(r for r in self.policy.question(question).rules if r.id == rule_id)
        return rule.article.id

    def _articles(self, question: str) -> Counter:
        """Rule failures per article the rules cite (a row failing two rules of one article counts twice)."""
        out = Counter()
        for rid, n in self.failed[question].items():
            out[self._article(question, rid)] += n
        return out

    def render(self) -> str:
        from .._width import display_width

        def pad(text: str, width: int) -> str:
            return text + " " * max(0, width - display_width(text))

        rate = self.rows / self.seconds if self.seconds else 0
        lines = [f"{self.rows:,} students read in {self.seconds:.1f} s ({rate:,.0f} a second); "
                 f"{self.error_rows:,} in error"]
        for q in self.questions:
            total = sum(self.outcomes[q].values())
            lines.append(f"\n{q}: {total:,} answered")
            for outcome, n in self.outcomes[q].most_common():
                lines.append(f"  {outcome:<24} {n:>12,}  {100 * n / total:5.1f}%")
            if self.failed[q]:
                lines.append("  rules failed most:")
                for rid, n in self.failed[q].most_common(TOP):
                    lines.append(f"    {rid:<40} {n:>12,}  {self._article(q, rid)}")
                lines.append("  articles failed most:")
                for article, n in self._articles(q).most_common(TOP):
                    lines.append(f"    {pad(article, 40)} {n:>12,}")
        if self.errors:
            lines.append("\nerrors (row × question):")
            for code, n in self.errors.most_common():
                lines.append(f"  {code:<24} {n:>12,}")
        return "\n".join(lines) + "\n"
