//! The `iterable` binary against a real MariaDB server (started by the tests, see
//! `tests/servers/mariadb.rs` of the workspace).

#[path = "../../../tests/servers/mariadb.rs"]
#[allow(dead_code)]
mod mariadb_server;

use std::process::{Command, Output};

use mariadb_server::{Mariadb, PASSWORD};

fn iterable(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test]
async fn mysql_tables_are_locations_for_every_command() {
    let Some(server) = Mariadb::get() else {
        return;
    };
    let url = server.database("cli_commands").await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "id,city,share\n1,Oslo,0.5\n2,Rome,0.25\n3,Oslo,0.25\n",
    )
    .unwrap();
    let table = format!("{url}?table=cities&mode=create");
    stdout(&iterable(&["convert", csv.to_str().unwrap(), &table]));
    assert_eq!(
        stdout(&iterable(&["cat", &format!("{url}?table=cities")])),
        "{\"id\":1,\"city\":\"Oslo\",\"share\":0.5}\n{\"id\":2,\"city\":\"Rome\",\"share\":0.25}\n{\"id\":3,\"city\":\"Oslo\",\"share\":0.25}\n"
    );
    let query = format!(
        "mariadb{}?query=SELECT city, count(*) AS n FROM cities GROUP BY city ORDER BY city",
        &url["mysql".len()..]
    );
    assert_eq!(
        stdout(&iterable(&["cat", &query])),
        "{\"city\":\"Oslo\",\"n\":2}\n{\"city\":\"Rome\",\"n\":1}\n"
    );
    assert_eq!(
        stdout(&iterable(&["count", &format!("{url}?table=cities")])).trim_end(),
        "3"
    );
    let parquet = dir.path().join("cities.parquet");
    stdout(&iterable(&[
        "convert",
        &format!("{url}?table=cities"),
        parquet.to_str().unwrap(),
    ]));
    assert_eq!(
        stdout(&iterable(&["schema", parquet.to_str().unwrap()])),
        "id: Int64\ncity: Utf8\nshare: Float64\n"
    );
    let again = iterable(&["convert", csv.to_str().unwrap(), &table]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("exists already (mode create)") && !err.contains(PASSWORD),
        "{err}"
    );
}
