//! Skeletons in the `/metadata` JSON: networkx node-link graphs whose nodes are indices into
//! the global `nodes` list, with jsonpickle edge types (`py/reduce` the first time a type
//! appears, `py/id` after), optionally wrapped as `{"nx_graph": ..., "description", ...}`.

use crate::labels::{JsonMap, Skeleton};
use serde_json::{Value, json};

/// Marker kept in `Skeleton::extra` when the file stored `graph.name` as null (sleap-io's
/// unnamed skeletons), so that it is reported and written back as null.
pub const NAME_IS_NULL: &str = "name_is_null";

/// Decodes every skeleton of the metadata object. `node_names` is the global `nodes` list.
/// Errors are plain messages; the caller adds the file name.
pub fn decode_all(skeletons: &Value, node_names: &[String]) -> Result<Vec<Skeleton>, String> {
    let list = match skeletons {
        Value::Array(a) => a,
        Value::Null => return Ok(Vec::new()),
        other => return Err(format!("\"skeletons\" is not a list but {}", kind(other))),
    };
    list.iter()
        .enumerate()
        .map(|(i, s)| decode(s, node_names).map_err(|e| format!("skeleton {i}: {e}")))
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn as_index(v: &Value, what: &str) -> Result<usize, String> {
    v.as_u64()
        .map(|x| x as usize)
        .ok_or_else(|| format!("{what} is not a node index: {v}"))
}

/// Decodes one skeleton.
pub fn decode(value: &Value, node_names: &[String]) -> Result<Skeleton, String> {
    let outer = value
        .as_object()
        .ok_or_else(|| format!("not a skeleton object but {}", kind(value)))?;
    let mut extra = JsonMap::new();
    let graph = match outer.get("nx_graph") {
        Some(g) => {
            for (k, v) in outer {
                if k != "nx_graph" {
                    extra.insert(k.clone(), v.clone());
                }
            }
            g.as_object()
                .ok_or_else(|| format!("\"nx_graph\" is not an object but {}", kind(g)))?
        }
        None => outer,
    };
    let nodes = graph
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or("has no \"nodes\" list")?;
    let links = match graph.get("links").or_else(|| graph.get("edges")) {
        Some(Value::Array(a)) => a.as_slice(),
        None | Some(Value::Null) => &[],
        Some(other) => return Err(format!("\"links\" is not a list but {}", kind(other))),
    };
    let name = match graph.get("graph").and_then(|g| g.get("name")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => {
            extra.insert(NAME_IS_NULL.into(), Value::Bool(true));
            String::new()
        }
        Some(other) => other.to_string(),
    };

    // Global node index of each skeleton node, in skeleton order.
    let mut global = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let id = n
            .get("id")
            .ok_or_else(|| format!("node {i} has no \"id\""))?;
        let g = as_index(id, &format!("node {i} id"))?;
        if g >= node_names.len() {
            return Err(format!(
                "node {i} refers to node index {g} but the file lists {} nodes",
                node_names.len()
            ));
        }
        if let Some(j) = global.iter().position(|&x| node_names[x] == node_names[g]) {
            return Err(format!(
                "nodes {j} and {i} are both named {:?}",
                crate::sanitize::clean(&node_names[g])
            ));
        }
        global.push(g);
    }
    let local = |g: usize, what: &str| -> Result<usize, String> {
        global.iter().position(|&x| x == g).ok_or_else(|| {
            format!("{what} refers to node index {g}, which is not in this skeleton")
        })
    };

    // py/reduce occurrences get implicit py/ids 1, 2, ... in order of appearance.
    let mut type_of_id: Vec<i64> = Vec::new();
    let mut edges: Vec<(usize, usize, Option<i64>)> = Vec::new();
    let mut sym: Vec<(usize, usize)> = Vec::new();
    for (li, link) in links.iter().enumerate() {
        let what = format!("link {li}");
        let src = local(
            as_index(
                link.get("source").unwrap_or(&Value::Null),
                &format!("{what} source"),
            )?,
            &what,
        )?;
        let dst = local(
            as_index(
                link.get("target").unwrap_or(&Value::Null),
                &format!("{what} target"),
            )?,
            &what,
        )?;
        let ty = link.get("type").unwrap_or(&Value::Null);
        let edge_type = if let Some(red) = ty.get("py/reduce") {
            let t = red
                .get(1)
                .and_then(|t| t.get("py/tuple"))
                .and_then(|t| t.get(0))
                .and_then(Value::as_i64)
                .ok_or_else(|| format!("{what}: malformed py/reduce edge type"))?;
            type_of_id.push(t);
            t
        } else if let Some(id) = ty.get("py/id").and_then(Value::as_i64) {
            // As sleap-io: an unknown id falls back to its own value.
            usize::try_from(id - 1)
                .ok()
                .and_then(|k| type_of_id.get(k).copied())
                .unwrap_or(id)
        } else if let Some(t) = ty.as_i64() {
            t
        } else {
            return Err(format!(
                "{what}: edge type is neither py/reduce nor py/id: {ty}"
            ));
        };
        match edge_type {
            1 => edges.push((
                src,
                dst,
                link.get("edge_insert_idx").and_then(Value::as_i64),
            )),
            // sleap-io keeps a symmetry as an unordered pair; report it in node order.
            2 if !sym
                .iter()
                .any(|&(a, b)| (a, b) == (src, dst) || (a, b) == (dst, src)) =>
            {
                sym.push((src.min(dst), src.max(dst)));
            }
            _ => {}
        }
    }
    let mut legacy = edges.clone();
    legacy.sort_by_key(|e| e.2.unwrap_or(i64::MAX));
    Ok(Skeleton {
        name,
        nodes: global.iter().map(|&g| node_names[g].clone()).collect(),
        edges: edges.iter().map(|&(a, b, _)| (a, b)).collect(),
        legacy_edges: legacy.iter().map(|&(a, b, _)| (a, b)).collect(),
        symmetries: sym,
        extra,
    })
}

/// Encodes skeletons as SLEAP writes them: the global node list (`[{name, weight}]`, nodes
/// shared by name across skeletons) and one node-link graph per skeleton, body edges first
/// (with `edge_insert_idx` from the legacy order) then symmetries.
pub fn encode_all(skeletons: &[Skeleton]) -> (Vec<Value>, Vec<Value>) {
    let mut names: Vec<String> = Vec::new();
    let global_of = |n: &str, names: &mut Vec<String>| -> usize {
        match names.iter().position(|x| x == n) {
            Some(i) => i,
            None => {
                names.push(n.to_string());
                names.len() - 1
            }
        }
    };
    let mut out = Vec::new();
    for s in skeletons {
        let ids: Vec<usize> = s.nodes.iter().map(|n| global_of(n, &mut names)).collect();
        let gid = |i: usize| ids.get(i).copied().unwrap_or(0);
        let mut links = Vec::new();
        let mut next_py_id = 0;
        let mut body_id = None;
        for (k, &(a, b)) in s.edges.iter().enumerate() {
            let insert_idx = s
                .legacy_edges
                .iter()
                .position(|&e| e == (a, b))
                .unwrap_or(k);
            let ty = edge_type(1, &mut body_id, &mut next_py_id);
            links.push(json!({
                "edge_insert_idx": insert_idx, "key": 0,
                "source": gid(a), "target": gid(b), "type": ty,
            }));
        }
        let mut sym_id = None;
        for &(a, b) in &s.symmetries {
            let ty = edge_type(2, &mut sym_id, &mut next_py_id);
            links.push(json!({"key": 0, "source": gid(a), "target": gid(b), "type": ty}));
        }
        let name = if s.extra.get(NAME_IS_NULL) == Some(&Value::Bool(true)) && s.name.is_empty() {
            Value::Null
        } else {
            Value::String(s.name.clone())
        };
        let graph = json!({
            "directed": true,
            "graph": {"name": name, "num_edges_inserted": s.edges.len()},
            "links": links,
            "multigraph": true,
            "nodes": ids.iter().map(|&g| json!({"id": g})).collect::<Vec<_>>(),
        });
        // Fields of the SLEAP >= 1.3.2 wrapper (description, preview_image) are kept by
        // writing the wrapper again; plain graphs stay plain, as sleap-io writes them.
        let wrapper: JsonMap = s
            .extra
            .iter()
            .filter(|(k, _)| k.as_str() != NAME_IS_NULL)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if wrapper.is_empty() {
            out.push(graph);
        } else {
            let mut w = wrapper;
            w.insert("nx_graph".into(), graph);
            out.push(Value::Object(w));
        }
    }
    let nodes = names
        .into_iter()
        .map(|n| json!({"name": n, "weight": 1.0}))
        .collect();
    (out, nodes)
}

fn edge_type(t: i64, id: &mut Option<usize>, next: &mut usize) -> Value {
    match id {
        Some(k) => json!({"py/id": *k}),
        None => {
            *next += 1;
            *id = Some(*next);
            json!({"py/reduce": [{"py/type": "sleap.skeleton.EdgeType"}, {"py/tuple": [t]}]})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn py_id_and_legacy_order_and_symmetry_dedup() {
        let sk = json!({"directed": true, "graph": {"name": "s", "num_edges_inserted": 2},
            "links": [
              {"edge_insert_idx": 1, "key": 0, "source": 2, "target": 1,
               "type": {"py/reduce": [{"py/type": "sleap.skeleton.EdgeType"}, {"py/tuple": [1]}]}},
              {"key": 0, "source": 1, "target": 0,
               "type": {"py/reduce": [{"py/type": "sleap.skeleton.EdgeType"}, {"py/tuple": [2]}]}},
              {"edge_insert_idx": 0, "key": 0, "source": 2, "target": 0, "type": {"py/id": 1}},
              {"key": 0, "source": 0, "target": 1, "type": {"py/id": 2}}],
            "multigraph": true, "nodes": [{"id": 2}, {"id": 0}, {"id": 1}]});
        let s = decode(&sk, &names(&["a", "b", "c"])).unwrap();
        assert_eq!(s.nodes, ["c", "a", "b"]);
        assert_eq!(s.edges, [(0, 2), (0, 1)]);
        assert_eq!(s.legacy_edges, [(0, 1), (0, 2)]);
        assert_eq!(s.symmetries, [(1, 2)]);
        // Round trip through the encoder.
        let (enc, nodes) = encode_all(std::slice::from_ref(&s));
        let gnames: Vec<String> = nodes
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect();
        let back = decode(&enc[0], &gnames).unwrap();
        assert_eq!(back.nodes, s.nodes);
        assert_eq!(back.edges, s.edges);
        assert_eq!(back.legacy_edges, s.legacy_edges);
        assert_eq!(back.symmetries, s.symmetries);
    }

    #[test]
    fn errors_name_the_problem() {
        let bad = json!({"graph": {"name": "x"}, "links": [], "nodes": [{"id": 5}]});
        let e = decode(&bad, &names(&["a"])).unwrap_err();
        assert!(e.contains("node index 5"), "{e}");
        let e = decode_all(&json!([1, 2]), &names(&["a"])).unwrap_err();
        assert!(e.contains("skeleton 0"), "{e}");
        let e = decode_all(&json!("nope"), &[]).unwrap_err();
        assert!(e.contains("not a list"), "{e}");
    }

    #[test]
    fn nx_graph_wrapper_keeps_extra_fields() {
        let sk = json!({"description": "d", "preview_image": null, "nx_graph":
            {"graph": {"name": "w"}, "links": [], "nodes": [{"id": 0}]}});
        let s = decode(&sk, &names(&["a"])).unwrap();
        assert_eq!(s.name, "w");
        assert_eq!(s.extra["description"], json!("d"));
    }
}
