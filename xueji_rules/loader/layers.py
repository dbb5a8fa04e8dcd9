"""Stage 2, layers: a county over its province — which rules replace, and which are repealed, from when."""

from __future__ import annotations

from ..errors import did_you_mean


class LayerStage:
    """Rule order after layering, and the repeals of every layer (mixed into the loader)."""

    def collect_repeals(self) -> dict:
        """(question, rule) -> (repeal body, doc, path) for every layer's `repeals:`."""
        out: dict = {}
        for layer in self.layers:
            for body, doc, path in layer.repeals:
                if layer.index == 0:
                    self.diag(doc, "repeal_without_parent", "only a layer can repeal: this policy extends none", path,
                              "add `extends: …` to policy.yaml, or delete the repeal")
                    continue
                key = (body["question"], body["rule"])
                if key in out:
                    self.diag(doc, "duplicate_id", f"{body['question']}.{body['rule']} is repealed twice", path)
                    continue
                self.cite(doc, path, body)
                out[key] = (body, doc, path)
        return out

    def layered_rules(self, qname: str, contributions: list) -> list:
        """The question's rules after layering: (body, doc, path, layer, until, note) in order."""
        ordered: list = []
        for qbody, doc, qpath in contributions:
            layer = self.layer_of[id(doc)]
            for i, rbody in enumerate(qbody["rules"]):
                rpath = qpath + ("rules", i)
                target = rbody.get("replaces")
                if target is None:
                    ordered.append([rbody, doc, rpath, layer, None, None])
                    continue
                at = next((k for k, item in enumerate(ordered) if item[0]["id"] == target and item[3] is not layer), None)
                if at is None or layer.index == 0:
                    known = [item[0]["id"] for item in ordered if item[3] is not layer]
                    self.diag(doc, "nothing_to_replace", f"{qname} has no rule '{target}' in a policy that {layer.id} extends",
                              rpath + ("replaces",), did_you_mean(target, known) or "name a rule of the extended policy")
                    ordered.append([rbody, doc, rpath, layer, None, None])
                    continue
                # the parent's rule stays in force until the layer takes effect; the layer's follows it
                ordered[at][4] = layer.effective_from
                ordered[at][5] = f"自 {layer.effective_from.isoformat()} 起由 {layer.id} 的 {rbody['id']} 替代"
                ordered.insert(at + 1, [rbody, doc, rpath, layer, None, None])
        return ordered
