use super::*;

struct Folder {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    secret: PathBuf,
    public: PathBuf,
}

fn head() -> ManifestHead {
    ManifestHead {
        release_id: "ds-1".into(),
        dataset: "ds".into(),
        created_at: "2026-11-26T00:00:00Z".into(),
        audit_head: Some(format!("3:{}", "a".repeat(64))),
        provision: None,
    }
}

/// A signed release folder of two files.
fn signed() -> Folder {
    let tmp = tempfile::tempdir().unwrap();
    let (secret, public) = (tmp.path().join("officer.key"), tmp.path().join("officer.key.pub"));
    sign::generate(&secret, &public).unwrap();
    let dir = tmp.path().join("ds-1");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("ds.parquet"), b"PAR1 rows PAR1").unwrap();
    std::fs::write(dir.join("report.json"), b"{}").unwrap();
    let (m, key) = write(&dir, head(), &[], Some(&secret)).unwrap();
    assert_eq!(key, Some(sign::public_key_id(&public).unwrap()));
    assert_eq!(m.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["ds.parquet", "report.json"]);
    Folder { _tmp: tmp, dir, secret, public }
}

fn problems(f: &Folder) -> Vec<String> {
    match verify(&f.dir, &f.public) {
        Err(VerifyError::Files { problems }) => problems,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_signed_folder_verifies() {
    let f = signed();
    let v = verify(&f.dir, &f.public).unwrap();
    assert_eq!(v.manifest.release_id, "ds-1");
    assert_eq!(v.manifest.files[0].size, 14);
    assert_eq!(v.manifest.files[0].sha256, sys::sha256_file(&f.dir.join("ds.parquet")).unwrap());
    let secret = std::fs::read_to_string(&f.secret).unwrap();
    for name in [MANIFEST, SIGNATURE] {
        assert!(!std::fs::read_to_string(f.dir.join(name)).unwrap().contains(secret.trim()), "{name}");
    }
}

#[test]
fn each_change_to_the_files_is_named() {
    let f = signed();
    std::fs::write(f.dir.join("report.json"), b"{]").unwrap();
    assert_eq!(problems(&f), ["report.json: changed (its SHA-256 differs from the manifest's)"]);
    std::fs::write(f.dir.join("report.json"), b"{}").unwrap();
    std::fs::rename(f.dir.join("ds.parquet"), f.dir.join("other.parquet")).unwrap();
    assert_eq!(problems(&f), ["ds.parquet: renamed to other.parquet (the manifest lists it as ds.parquet)"]);
    std::fs::remove_file(f.dir.join("other.parquet")).unwrap();
    assert_eq!(problems(&f), ["ds.parquet: missing (the manifest lists it)"]);
    std::fs::write(f.dir.join("ds.parquet"), b"PAR1 rows PAR1").unwrap();
    std::fs::write(f.dir.join("notes.txt"), b"x").unwrap();
    assert_eq!(problems(&f), ["notes.txt: added (the manifest does not list it)"]);
    std::fs::remove_file(f.dir.join("notes.txt")).unwrap();
    verify(&f.dir, &f.public).unwrap();
}

#[test]
fn a_changed_manifest_a_wrong_key_or_no_signature_is_refused() {
    let f = signed();
    let (sk2, pk2) = (f.dir.parent().unwrap().join("other.key"), f.dir.parent().unwrap().join("other.pub"));
    sign::generate(&sk2, &pk2).unwrap();
    assert!(matches!(verify(&f.dir, &pk2), Err(VerifyError::WrongKey { .. })));
    let original = std::fs::read(f.dir.join(MANIFEST)).unwrap();
    let text = String::from_utf8(original.clone()).unwrap().replace("\"size\": 14", "\"size\": 15");
    std::fs::write(f.dir.join(MANIFEST), text).unwrap();
    assert!(matches!(verify(&f.dir, &f.public), Err(VerifyError::BadSignature { .. })));
    std::fs::write(f.dir.join(MANIFEST), &original).unwrap();
    std::fs::write(f.dir.join(SIGNATURE), b"nonsense").unwrap();
    assert!(matches!(verify(&f.dir, &f.public), Err(VerifyError::SignatureGarbled(_))));
    std::fs::remove_file(f.dir.join(SIGNATURE)).unwrap();
    assert!(matches!(verify(&f.dir, &f.public), Err(VerifyError::SignatureMissing)));
    std::fs::remove_file(f.dir.join(MANIFEST)).unwrap();
    assert!(matches!(verify(&f.dir, &f.public), Err(VerifyError::ManifestMissing)));
    assert!(matches!(verify(&f.dir, &f.dir.join("nowhere.pub")), Err(VerifyError::Key(_))));
}

#[test]
fn a_signature_made_for_another_manifest_does_not_verify() {
    let f = signed();
    let sig: SignatureFile = parse_signature(&std::fs::read(f.dir.join(SIGNATURE)).unwrap()).unwrap();
    // The same key's signature of the bytes without the prefix: another kind of document.
    let bytes = std::fs::read(f.dir.join(MANIFEST)).unwrap();
    let (_, bare) = sign::sign_bytes(&f.secret, &bytes).unwrap();
    let forged = SignatureFile { signature: bare, ..sig };
    std::fs::write(f.dir.join(SIGNATURE), serde_json::to_vec(&forged).unwrap()).unwrap();
    assert!(matches!(verify(&f.dir, &f.public), Err(VerifyError::BadSignature { .. })));
}

#[test]
fn an_unsigned_manifest_is_written_when_no_key_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a"), b"1").unwrap();
    let (m, key) = write(tmp.path(), head(), &[("a".into(), "b".repeat(64))], None).unwrap();
    assert_eq!(key, None);
    assert_eq!(m.files[0].sha256, "b".repeat(64), "the writer's hash is taken");
    assert!(!tmp.path().join(SIGNATURE).exists());
    assert_eq!(Manifest::parse(&std::fs::read(tmp.path().join(MANIFEST)).unwrap()).unwrap(), m);
    assert!(matches!(write(tmp.path(), head(), &[], None), Err(ManifestError::Folder(_))), "never over a manifest");
}

#[test]
fn a_key_that_cannot_sign_leaves_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a"), b"1").unwrap();
    let r = write(tmp.path(), head(), &[], Some(&tmp.path().join("missing.key")));
    assert!(matches!(r, Err(ManifestError::Sign(_))));
    assert!(!tmp.path().join(MANIFEST).exists());
}

/// A manifest of one file `a`, without provision or audit head.
fn one_file() -> Manifest {
    Manifest {
        format: FORMAT.into(),
        release_id: "r".into(),
        dataset: "d".into(),
        created_at: "t".into(),
        audit_head: None,
        tokumei_version: "0".into(),
        provision: None,
        files: vec![ManifestFile { name: "a".into(), size: 1, sha256: "0".repeat(64) }],
    }
}

#[test]
fn garbled_manifests_are_refused_without_panicking() {
    let good = one_file();
    assert_eq!(Manifest::parse(&good.to_bytes()).unwrap(), good);
    let text = String::from_utf8(good.to_bytes()).unwrap();
    let mut bad: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\xff\xfe".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"format\":1}".to_vec(),
        text.replace(FORMAT, "tokumei-release-manifest/9").into_bytes(),
        text.replace("\"a\"", "\"../a\"").into_bytes(),
        text.replace("\"a\"", "\"\"").into_bytes(),
        text.replace("\"a\"", "\"..\"").into_bytes(),
        text.replace("\"a\"", "\"MANIFEST.sig\"").into_bytes(),
        text.replace(&"0".repeat(64), "0").into_bytes(),
        text.replace(&"0".repeat(64), &"G".repeat(64)).into_bytes(),
        text.replace("\"size\": 1", "\"size\": -1").into_bytes(),
        text.replace("\"dataset\"", "\"extra\": 1, \"dataset\"").into_bytes(),
    ];
    let twice = Manifest { files: vec![good.files[0].clone(), good.files[0].clone()], ..good.clone() };
    bad.push(twice.to_bytes());
    // Every prefix of a good manifest: truncated files.
    for n in 0..text.len() - 2 {
        bad.push(text.as_bytes()[..n].to_vec());
    }
    for b in &bad {
        assert!(Manifest::parse(b).is_err(), "{}", String::from_utf8_lossy(b));
    }
    for b in [&b""[..], b"{}", b"\x00", b"{\"format\":\"tokumei-release-signature/1\"}"] {
        assert!(parse_signature(b).is_err());
    }
}

#[test]
fn names_with_a_folder_are_refused_and_trailing_data_too() {
    let good = one_file();
    let text = String::from_utf8(good.to_bytes()).unwrap();
    for name in ["/etc/x", "a/b", "a\\\\b", "/", "x\\u001b[2K"] {
        let bad = text.replace("\"a\"", &format!("\"{name}\""));
        let e = Manifest::parse(bad.as_bytes()).unwrap_err();
        assert!(e.contains("which is not a file name in the folder"), "{name}: {e}");
        assert!(!e.contains('\u{1b}'), "{e}");
    }
    for trailing in ["{}", "x", "\n{\"format\":1}", "\0"] {
        let e = Manifest::parse(format!("{text}{trailing}").as_bytes()).unwrap_err();
        assert!(e.contains("trailing"), "{trailing:?}: {e}");
    }
    assert!(Manifest::parse(format!("{text}\n  \n").as_bytes()).is_ok(), "white space after it is JSON");
    let sig = br#"{"format":"tokumei-release-signature/1","algorithm":"Ed25519","key_id":"k","manifest_sha256":"0","signature":"0"}"#;
    assert!(parse_signature(sig).is_ok());
    assert!(parse_signature(&[&sig[..], b"{}"].concat()).unwrap_err().contains("trailing"));
}

#[cfg(unix)]
#[test]
fn a_listed_file_replaced_by_a_link_is_refused() {
    let f = signed();
    let elsewhere = f.dir.parent().unwrap().join("report.json");
    std::fs::write(&elsewhere, b"{}").unwrap();
    std::fs::remove_file(f.dir.join("report.json")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, f.dir.join("report.json")).unwrap();
    assert_eq!(problems(&f), ["report.json: is not a regular file"], "same bytes behind the link");
}

#[test]
fn an_added_hidden_file_or_subfolder_is_refused() {
    let f = signed();
    std::fs::write(f.dir.join(".hidden"), b"").unwrap();
    assert_eq!(problems(&f), [".hidden: added (the manifest does not list it)"]);
    std::fs::remove_file(f.dir.join(".hidden")).unwrap();
    std::fs::create_dir(f.dir.join("sub")).unwrap();
    assert_eq!(problems(&f), ["sub: added (the manifest does not list it)"]);
    std::fs::remove_dir(f.dir.join("sub")).unwrap();
    verify(&f.dir, &f.public).unwrap();
}

#[test]
fn text_from_the_folder_is_shown_escaped() {
    assert_eq!(shown("利用条件.md a-b_c"), "利用条件.md a-b_c");
    assert_eq!(
        shown("\u{1b}[2K\r\n\u{202E}x\u{2066}\u{200F}\\"),
        "\\u{001B}[2K\\u{000D}\\u{000A}\\u{202E}x\\u{2066}\\u{200F}\\\\"
    );
    let f = signed();
    // An added file whose name erases the line before and reverses what follows.
    std::fs::write(f.dir.join("\u{1b}[1A\u{1b}[2Kok\u{202E}txt.exe"), b"").unwrap();
    assert_eq!(problems(&f), ["\\u{001B}[1A\\u{001B}[2Kok\\u{202E}txt.exe: added (the manifest does not list it)"]);
    // A signature file naming a key with an escape sequence, a format and algorithm with them.
    std::fs::remove_file(f.dir.join("\u{1b}[1A\u{1b}[2Kok\u{202E}txt.exe")).unwrap();
    let sig = parse_signature(&std::fs::read(f.dir.join(SIGNATURE)).unwrap()).unwrap();
    let forged = SignatureFile { key_id: "a1:\u{1b}[2K".into(), ..sig.clone() };
    std::fs::write(f.dir.join(SIGNATURE), serde_json::to_vec(&forged).unwrap()).unwrap();
    let e = verify(&f.dir, &f.public).unwrap_err().to_string();
    assert!(e.contains("signed by key a1:\\u{001B}[2K, not by") && !e.contains('\u{1b}'), "{e}");
    let forged = SignatureFile { format: "\u{1b}]0;x\u{7}".into(), algorithm: "\u{202E}".into(), ..sig };
    std::fs::write(f.dir.join(SIGNATURE), serde_json::to_vec(&forged).unwrap()).unwrap();
    let e = verify(&f.dir, &f.public).unwrap_err().to_string();
    assert!(e.contains("\\u{001B}]0;x\\u{0007}") && !e.contains(['\u{1b}', '\u{7}', '\u{202E}']), "{e}");
    // A parser's message quoting an unknown field.
    std::fs::write(f.dir.join(SIGNATURE), b"{\"\\u001b[2K\": 1}").unwrap();
    let e = verify(&f.dir, &f.public).unwrap_err().to_string();
    assert!(e.contains("\\u{001B}[2K") && !e.contains('\u{1b}'), "{e}");
    // The manifest's format (refused before its signature is checked).
    let m = std::fs::read_to_string(f.dir.join(MANIFEST)).unwrap().replace(FORMAT, "\\u001b[2K");
    std::fs::write(f.dir.join(MANIFEST), m).unwrap();
    let e = verify(&f.dir, &f.public).unwrap_err().to_string();
    assert!(e.contains("format `\\u{001B}[2K`") && !e.contains('\u{1b}'), "{e}");
}

#[test]
fn a_public_key_inside_the_folder_is_refused() {
    let f = signed();
    let inside = f.dir.join("officer.key.pub");
    std::fs::copy(&f.public, &inside).unwrap();
    assert!(matches!(verify(&f.dir, &inside), Err(VerifyError::KeyInFolder { .. })));
    // Reached through `..` of a subfolder-free path, and by a link from outside.
    let roundabout = f.dir.join("..").join(f.dir.file_name().unwrap()).join("officer.key.pub");
    assert!(matches!(verify(&f.dir, &roundabout), Err(VerifyError::KeyInFolder { .. })));
    #[cfg(unix)]
    {
        let link = f.dir.parent().unwrap().join("link.pub");
        std::os::unix::fs::symlink(&inside, &link).unwrap();
        assert!(matches!(verify(&f.dir, &link), Err(VerifyError::KeyInFolder { .. })));
        // The folder itself given through a link.
        let dir_link = f.dir.parent().unwrap().join("dir-link");
        std::os::unix::fs::symlink(&f.dir, &dir_link).unwrap();
        assert!(matches!(verify(&dir_link, &inside), Err(VerifyError::KeyInFolder { .. })));
        // A link in the folder to the genuine key outside it.
        std::fs::remove_file(&inside).unwrap();
        std::os::unix::fs::symlink(&f.public, &inside).unwrap();
        assert!(matches!(verify(&f.dir, &inside), Err(VerifyError::KeyInFolder { .. })));
        std::fs::remove_file(&inside).unwrap();
    }
    #[cfg(not(unix))]
    std::fs::remove_file(&inside).unwrap();
    let e = verify(&f.dir, &roundabout).map(|_| ()).unwrap_err();
    assert!(matches!(e, VerifyError::Key(_)), "a key gone is unreadable: {e}");
    verify(&f.dir, &f.public).unwrap();
}
