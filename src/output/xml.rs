//! A small XML writer: elements with ordered attributes, text, or children, written two spaces
//! an indentation level, every value escaped. The JUnit reports of `run`, `load` and `fuzz`
//! build their documents from it.

/// One element.
#[derive(Debug, Clone, Default)]
pub struct Element {
    name: &'static str,
    attributes: Vec<(&'static str, String)>,
    text: Option<String>,
    children: Vec<Element>,
    /// Children written on the element's own line (short lists such as `<properties>`).
    inline: bool,
}

impl Element {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }

    pub fn attr(mut self, name: &'static str, value: impl ToString) -> Self {
        self.attributes.push((name, value.to_string()));
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    pub fn children(mut self, children: impl IntoIterator<Item = Element>) -> Self {
        self.children.extend(children);
        self
    }

    pub fn inline(mut self) -> Self {
        self.inline = true;
        self
    }

    /// The document: an XML declaration and this element.
    pub fn document(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write(&mut out, 0);
        out
    }

    fn open_tag(&self, out: &mut String) {
        out.push('<');
        out.push_str(self.name);
        for (name, value) in &self.attributes {
            out.push_str(&format!(
                " {name}=\"{}\"",
                super::escape::xml_attribute(value)
            ));
        }
    }

    fn write(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        out.push_str(&indent);
        self.write_inline(out, depth);
        out.push('\n');
    }

    /// The element from its `<` to its closing `>`, children indented below it unless inline.
    fn write_inline(&self, out: &mut String, depth: usize) {
        self.open_tag(out);
        match (&self.text, self.children.is_empty()) {
            (None, true) => out.push_str("/>"),
            (Some(text), true) => {
                out.push('>');
                out.push_str(&super::escape::xml_text(text));
                out.push_str(&format!("</{}>", self.name));
            }
            (_, false) if self.inline => {
                out.push('>');
                for child in &self.children {
                    child.write_inline(out, depth + 1);
                }
                out.push_str(&format!("</{}>", self.name));
            }
            (_, false) => {
                out.push_str(">\n");
                for child in &self.children {
                    child.write(out, depth + 1);
                }
                out.push_str(&"  ".repeat(depth));
                out.push_str(&format!("</{}>", self.name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_nest_indent_and_escape() {
        let document = Element::new("testsuites")
            .attr("name", "a<b")
            .child(
                Element::new("properties").inline().child(
                    Element::new("property")
                        .attr("name", "x")
                        .attr("value", "1"),
                ),
            )
            .child(Element::new("testcase").attr("name", "ok"))
            .child(
                Element::new("testcase").attr("name", "bad").child(
                    Element::new("failure")
                        .attr("message", "m")
                        .text("line & more"),
                ),
            )
            .document();
        assert_eq!(
            document,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"a&lt;b\">\n\
             \x20 <properties><property name=\"x\" value=\"1\"/></properties>\n\
             \x20 <testcase name=\"ok\"/>\n\
             \x20 <testcase name=\"bad\">\n\
             \x20   <failure message=\"m\">line &amp; more</failure>\n\
             \x20 </testcase>\n\
             </testsuites>\n"
        );
    }
}
