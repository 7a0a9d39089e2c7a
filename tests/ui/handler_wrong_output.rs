use faasport::prelude::*;

struct Receipt;

async fn returns_a_struct(_req: HttpRequest, _cx: Context) -> Result<Receipt, Error> {
    Ok(Receipt)
}

fn main() {
    let _ = Function::new("f", returns_a_struct);
}
