//! The scalar dashboard's order of tags: grouped by prefix, losses first, `epoch` and
//! `hp_metric` last (what TensorBoard users look at first comes first).

/// The group a tag belongs to on the dashboard: its prefix up to the first `/` or `_`
/// (`train_`, `val_`, `lr-Adam/`), or the tag itself.
pub fn group_of(tag: &str) -> &str {
    match tag.find(['/', '_']) {
        Some(i) => &tag[..=i],
        None => tag,
    }
}

/// TensorBoard users look at losses first: groups holding a loss first, then the others by
/// name, `epoch` and `hp_metric` last; by name within a group.
pub fn dashboard_order(tags: &mut [String]) {
    let loss_groups: std::collections::HashSet<String> = tags
        .iter()
        .filter(|t| t.contains("loss"))
        .map(|t| group_of(t).to_owned())
        .collect();
    let rank = |t: &str| {
        if t == "epoch" || t == "hp_metric" {
            2
        } else if loss_groups.contains(group_of(t)) {
            0
        } else {
            1
        }
    };
    tags.sort_by(|a, b| {
        (rank(a), group_of(a), a.as_str()).cmp(&(rank(b), group_of(b), b.as_str()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_first_epoch_last() {
        let mut t: Vec<String> = [
            "epoch",
            "lr-Adam/head",
            "val_supervised_loss",
            "hp_metric",
            "train_supervised_rmse",
            "train_supervised_loss",
            "heatmap_mse_weight",
        ]
        .map(String::from)
        .to_vec();
        dashboard_order(&mut t);
        assert_eq!(
            t,
            [
                "train_supervised_loss",
                "train_supervised_rmse",
                "val_supervised_loss",
                "heatmap_mse_weight",
                "lr-Adam/head",
                "epoch",
                "hp_metric"
            ]
        );
        assert_eq!(group_of("lr-Adam/head"), "lr-Adam/");
        assert_eq!(group_of("epoch"), "epoch");
    }
}
