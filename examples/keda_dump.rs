fn main() {
    for arg in std::env::args().skip(1) {
        let src = scalesim::yaml::Source::read(std::path::Path::new(&arg)).unwrap();
        let r = scalesim::keda::validate_source(&src, &Default::default());
        println!("=== {arg}");
        for f in r.file_findings.iter().chain(r.objects.iter().flat_map(|o| o.report.findings.iter())) {
            println!("  {:?} {} L{:?} {:?}: {}", f.severity, f.rule, f.line, f.field, f.message);
        }
        for o in &r.objects {
            if let Some(p) = &o.report.plan {
                for t in &p.triggers {
                    println!("  trigger {} {} {:?} metric={:?} act={:?}", t.index, t.trigger_type, t.status, t.metric.as_ref().map(|m| (&m.name, m.target_type, m.target_milli)), t.activation_threshold);
                }
            }
            println!("  model: {}", o.model.is_some());
        }
    }
}
