import pg from 'pg';

/** Drops every schema whose name starts with `prefix`; tests name schemas pkgw_test_<random>_<n>. */
export async function dropSchemas(admin: pg.Pool, prefix: string): Promise<void> {
  const found = await admin.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)', [
    prefix,
  ]);
  for (const { nspname } of found.rows) {
    await admin.query(`DROP SCHEMA IF EXISTS "${nspname.replaceAll('"', '""')}" CASCADE`);
  }
}
