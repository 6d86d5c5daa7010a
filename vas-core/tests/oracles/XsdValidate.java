// The validator Vitam runs, as a test oracle: Xerces 2.12 (XSD 1.1) through
// javax.xml.validation, the way Vitam's ValidationXsdUtils creates its SchemaFactory.
//
// Usage (single-file source launch, JDK 11+):
//   java -cp 'target/oracles/xerces/*' XsdValidate.java SCHEMA.xsd DOC...
// Prints, for each document, one line per error then an end line:
//   ERR<TAB>DOC<TAB>LINE<TAB>MESSAGE
//   END<TAB>DOC<TAB>OK|KO
// A fatal (well-formedness) error stops that document. Exit status 0 unless the schema
// does not compile (2). scripts/setup.d/xerces.sh fetches the jars (pom.xml here).
import java.io.File;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

public class XsdValidate {
    static final String XSD_11 = "http://www.w3.org/XML/XMLSchema/v1.1";

    public static void main(String[] args) throws Exception {
        SchemaFactory f = SchemaFactory.newInstance(XSD_11);
        if (!f.getClass().getName().startsWith("org.apache.xerces")) {
            System.err.println("not Xerces: " + f.getClass().getName() + " (is the classpath set?)");
            System.exit(2);
        }
        Schema schema;
        try {
            schema = f.newSchema(new File(args[0]));
        } catch (SAXException e) {
            System.err.println("schema: " + e.getMessage());
            System.exit(2);
            return;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < args.length; i++) {
            String doc = args[i];
            boolean[] ko = {false};
            Validator v = schema.newValidator();
            v.setErrorHandler(new ErrorHandler() {
                public void warning(SAXParseException e) {}

                public void error(SAXParseException e) {
                    ko[0] = true;
                    out.append("ERR\t").append(doc).append('\t').append(e.getLineNumber()).append('\t')
                        .append(String.valueOf(e.getMessage()).replace('\n', ' ')).append('\n');
                }

                public void fatalError(SAXParseException e) throws SAXException {
                    error(e);
                    throw e;
                }
            });
            try {
                v.validate(new StreamSource(new File(doc)));
            } catch (SAXException e) {
                ko[0] = true;
            }
            out.append("END\t").append(doc).append('\t').append(ko[0] ? "KO" : "OK").append('\n');
        }
        System.out.print(out);
    }
}
