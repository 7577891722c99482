use super::*;

fn tracked() -> Labels {
    let mut l = fixture();
    for f in 0..6u64 {
        l.add_instance(0, f, user(f as f64).with_track(Some(0)))
            .unwrap();
        if f % 2 == 0 {
            l.add_instance(0, f, user(f as f64 + 50.0).with_track(Some(1)))
                .unwrap();
        }
    }
    l.add_instance(1, 3, pred(0.0, 0.1).with_track(Some(1)))
        .unwrap();
    l
}

#[test]
fn occupancy_ranges_and_counts() {
    let l = tracked();
    let occ = l.get_track_occupancy(0);
    assert_eq!(occ[&0], vec![0..6]);
    assert_eq!(occ[&1], vec![0..1, 2..3, 4..5]);
    assert_eq!(l.get_track_count(0), 2);
    assert_eq!(l.get_track_count(1), 1);
    let hits = l.find_track_occupancy(0, 1, Some(1..5));
    let frames: Vec<u64> = hits.iter().map(|r| r.frame_idx).collect();
    assert_eq!(frames, vec![2, 4]);
    assert_eq!(hits[0].instance, 1);
    assert_eq!(l.find_track_occupancy(0, 0, None).len(), 6);
}

#[test]
fn track_swap_over_range() {
    let mut l = tracked();
    let n = l.track_swap(0, 1, Some(0), 2..5).unwrap();
    assert_eq!(n, 5, "frames 2,3,4 track 0 -> 1, frames 2,4 track 1 -> 0");
    let occ = l.get_track_occupancy(0);
    assert_eq!(occ[&0], vec![0..3, 4..6]);
    assert_eq!(occ[&1], vec![0..1, 2..5]);
    assert_eq!(l.frame(0, 3).unwrap().instances[0].track, Some(1));
    assert_eq!(l.frame(0, 2).unwrap().instances[1].track, Some(0));
    assert_eq!(
        l.track_swap(0, 1, None, 0..10).unwrap(),
        0,
        "None old track: no-op"
    );
    assert!(l.track_swap(0, 7, Some(0), 0..1).is_err());
}

#[test]
fn track_set_instance_swaps_within_frame() {
    let mut l = tracked();
    let r = InstanceRef {
        video: 0,
        frame_idx: 0,
        instance: 0,
    };
    l.track_set_instance(r, Some(1)).unwrap();
    let f = l.frame(0, 0).unwrap();
    assert_eq!(f.instances[0].track, Some(1));
    assert_eq!(
        f.instances[1].track,
        Some(0),
        "the holder of track 1 took track 0"
    );
    l.track_set_instance(r, None).unwrap();
    assert_eq!(l.frame(0, 0).unwrap().instances[0].track, None);
    assert_eq!(l.get_track_occupancy(0)[&1], vec![2..3, 4..5]);
    let bad = InstanceRef {
        video: 0,
        frame_idx: 0,
        instance: 5,
    };
    assert!(l.track_set_instance(bad, Some(0)).is_err());
}
